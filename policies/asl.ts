// Reading a state machine the way the policies need it: its definition parsed, and every state in
// it, including those nested in Map item processors and Parallel branches.

export const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";

export type State = Record<string, unknown>;

export interface Definition {
    QueryLanguage?: string;
    StartAt?: string;
    States?: Record<string, State>;
}

export interface FoundState {
    name: string;
    /** Where it sits, e.g. `ProcessJobs > ItemProcessor > Transcribe`, for messages a user can follow. */
    path: string;
    state: State;
    /** JSONata when the state or the machine says so; JSONPath otherwise. */
    queryLanguage: "JSONPath" | "JSONata";
}

export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The definition, or a sentence saying why it cannot be read. */
export function parseDefinition(text: unknown): Definition | string {
    if (typeof text !== "string") return `the definition is not a string of JSON (got ${typeof text})`;
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (err) {
        return `the definition is not valid JSON: ${(err as Error).message}`;
    }
    if (!isObject(parsed) || !isObject(parsed.States)) return "the definition has no States object";
    return parsed as Definition;
}

/** Every state of the machine, depth first, nested ones after the state that holds them. */
export function* eachState(definition: Definition, prefix = "", inherited: FoundState["queryLanguage"] = "JSONPath"): Generator<FoundState> {
    const language = definition.QueryLanguage === "JSONata" ? "JSONata" : inherited;
    for (const [name, state] of Object.entries(definition.States ?? {})) {
        if (!isObject(state)) continue;
        const path = `${prefix}${name}`;
        const queryLanguage = state.QueryLanguage === "JSONata" ? "JSONata" : state.QueryLanguage === "JSONPath" ? "JSONPath" : language;
        yield { name, path, state, queryLanguage };
        // ItemProcessor is today's Map field; Iterator the older one AWS still accepts.
        for (const field of ["ItemProcessor", "Iterator"]) {
            const inner = state[field];
            if (isObject(inner)) yield* eachState(inner as Definition, `${path} > ${field} > `, queryLanguage);
        }
        if (Array.isArray(state.Branches)) {
            for (const [i, branch] of state.Branches.entries()) {
                if (isObject(branch)) yield* eachState(branch as Definition, `${path} > Branches[${i}] > `, queryLanguage);
            }
        }
    }
}
