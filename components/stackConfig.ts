// Turns a stack's config (Pulumi.<stack>.yaml, namespace `iterator-workflow`) into component
// arguments. Pure: it takes the raw values, so the program, the local runner and the tests share it.
import type { IteratorWorkflowArgs, StepArgs } from "./types";
import { ArgsError, validateArgs } from "./validate";

export const CONFIG_NAMESPACE = "iterator-workflow";

/** The seed's two steps, used when the stack names none. */
export const SEED_STEPS: StepArgs[] = [
    { kind: "pass", name: "ProcessFirstPass", resultKey: "firstResult", result: "success" },
    { kind: "pass", name: "ProcessSecondPass", resultKey: "secondResult", result: "success" },
];

/** Read by `npm start` only: local code for steps. The program ignores it. */
export const LOCAL_HANDLERS_KEY = `${CONFIG_NAMESPACE}:localHandlers`;

const KEYS = ["steps", "onJobError", "type", "timeoutSeconds", "tracing", "logging", "limits", "handOver", "strategy", "maxConcurrency", "alarms", "jobStore"] as const;

/** Pulumi hands structured and typed config over as JSON text; plain strings stay strings. */
function parse(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

/**
 * @param raw every config value of the stack, keyed `namespace:key`, as Pulumi stores them.
 * @throws ArgsError whose message starts with the full config key, e.g. `iterator-workflow:steps[0].name: ...`.
 */
export function argsFromConfig(raw: Record<string, string>): IteratorWorkflowArgs {
    const values: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(raw)) {
        const [ns, key] = fullKey.split(":", 2);
        if (ns !== CONFIG_NAMESPACE || fullKey === LOCAL_HANDLERS_KEY) continue;
        if (!(KEYS as readonly string[]).includes(key)) throw new ArgsError(fullKey, `unknown config key; expected one of ${KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}`);
        values[key] = parse(value);
    }
    const args = { steps: SEED_STEPS, ...values };
    try {
        return validateArgs(args);
    } catch (err) {
        if (err instanceof ArgsError) throw new ArgsError(`${CONFIG_NAMESPACE}:${err.field}`, err.problem);
        throw err;
    }
}
