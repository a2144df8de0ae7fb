// Runs an ASL definition in-process with aws-local-stepfunctions and holds it to the AWS limits
// that tool leaves out: 262,144 bytes per state and, for Standard, 25,000 history events.
import { StateMachine, type StateMachineDefinition as LocalDefinition } from "aws-local-stepfunctions";
import { STEP_FUNCTIONS_PAYLOAD_LIMIT } from "../functions/moveToEnd";
import { HISTORY_EVENT_LIMIT } from "../components/capacity";
import { START_EXECUTION_SYNC, type StateMachineDefinition } from "../components/definition";
import { waitsForCompletion, type Json } from "../components/steps";
import { eachState } from "../policies/asl";

export type TaskHandler = (input: Json) => Promise<Json>;

/** Standard's price per state transition in most regions (pricing page, see aws-limits.md). */
export const STANDARD_PRICE_PER_TRANSITION = 0.025 / 1000;

export interface AwsError {
    Error: string;
    Cause: string;
}

export interface LocalEvent {
    type: "entered" | "exited" | "failed";
    state: string;
    stateType: string;
    payload?: Json;
    error?: AwsError;
}

export interface RunOptions {
    definition: StateMachineDefinition;
    input: Json;
    /** Local code for Task states, by state name. Every Task needs one: nothing here calls AWS. */
    handlers: Record<string, TaskHandler>;
    type?: "STANDARD" | "EXPRESS";
    /** Lower these only to test the enforcement itself. */
    payloadLimitBytes?: number;
    historyEventLimit?: number;
    onEvent?: (event: LocalEvent) => void;
    /** The state machine's ARN, for `$$.StateMachine.Id`. */
    stateMachineArn?: string;
}

export interface RunReport {
    status: "SUCCEEDED" | "FAILED";
    output?: Json;
    error?: AwsError;
    /** The state the execution failed in, and the input it had: nothing of the work is lost. */
    failedState?: string;
    lastInput?: Json;
    /** Across every execution: what AWS bills. */
    transitions: number;
    /** Of the execution with the longest history: what the 25,000-event limit applies to. */
    historyEvents: number;
    peakPayloadBytes: number;
    durationMs: number;
    /** This one and those it started by hand-over. */
    executions: number;
}

const DEFAULT_STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:local";
let executionCount = 0;

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? "null", "utf8");

/**
 * How many AWS history events a state adds besides Entered/Exited: a Task's Scheduled, Started,
 * Succeeded or Failed (and Submitted when it waits); a Map's or Parallel's Started and Succeeded or Failed.
 */
function ownEvents(state: Record<string, Json>): number {
    if (state.Type === "Task") return waitsForCompletion(state.Resource) ? 4 : 3;
    return state.Type === "Map" || state.Type === "Parallel" ? 2 : 0;
}

const historyLimitError = (limit: number): AwsError => ({ Error: "States.Runtime", Cause: `The execution reached the maximum number of history events (${limit}).` });

/**
 * Makes a local function fail the way a Lambda does in Step Functions: Error is the error's name and
 * Cause the runtime's JSON, so Catch, ErrorEquals and States.StringToJson behave as in AWS.
 */
export function asLambda(fn: (input: Json) => unknown): TaskHandler {
    return async (input) => {
        try {
            return (await fn(input)) as Json;
        } catch (caught) {
            const err = caught instanceof Error ? caught : new Error(String(caught));
            const name = err.name && err.name !== "Error" ? err.name : "Error";
            const lambdaError = new Error(JSON.stringify({ errorType: name, errorMessage: err.message, trace: [] }));
            lambdaError.name = name;
            throw lambdaError;
        }
    };
}

export async function runLocally(options: RunOptions): Promise<RunReport> {
    const payloadLimit = options.payloadLimitBytes ?? STEP_FUNCTIONS_PAYLOAD_LIMIT;
    const historyLimit = options.type === "EXPRESS" ? Infinity : (options.historyEventLimit ?? HISTORY_EVENT_LIMIT);
    // Every state by name, nested ones too: ASL names are unique in the whole machine.
    const states = Object.fromEntries([...eachState(options.definition)].map(({ name, state }) => [name, state as Record<string, Json>]));
    const started = Date.now();
    const report: RunReport = { status: "SUCCEEDED", transitions: 0, historyEvents: 1, peakPayloadBytes: bytes(options.input), durationMs: 0, executions: 1 };
    const nested: RunReport[] = [];
    const stateMachineArn = options.stateMachineArn ?? DEFAULT_STATE_MACHINE_ARN;
    const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:local-${++executionCount}`;
    const handlers = { ...options.handlers };
    // A hand-over starts a new execution of the same definition, run here as a nested local run
    // with its own history limit; the Task gets back what DescribeExecution would return.
    for (const [name, state] of Object.entries(states)) {
        if (state.Type !== "Task" || state.Resource !== START_EXECUTION_SYNC || name in handlers) continue;
        handlers[name] = async (params) => {
            const { StateMachineArn, Input } = params as { StateMachineArn: string; Input: Json };
            const child = await runLocally({ ...options, input: Input, stateMachineArn: StateMachineArn });
            nested.push(child);
            if (child.status !== "SUCCEEDED") {
                const err = new Error(JSON.stringify({ Status: "FAILED", Error: child.error?.Error, Cause: child.error?.Cause, StateMachineArn }));
                err.name = "States.TaskFailed";
                throw err;
            }
            return { StateMachineArn, Input, Output: child.output ?? null, Status: "SUCCEEDED" };
        };
    }
    let limitError: (AwsError & { state: string; input?: Json }) | undefined;
    let lastFailed: { state: string; input?: Json } | undefined;

    // The tool rewrites the definition it is given; it gets a copy so the caller's stays as synthesized.
    const machine = new StateMachine(structuredClone(options.definition) as unknown as LocalDefinition, { validationOptions: { checkArn: false } });
    const execution = machine.run(options.input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never },
        noThrowOnAbort: true,
        context: {
            Execution: { Id: executionArn, Name: executionArn.split(":").pop(), Input: options.input, StartTime: new Date(started).toISOString() },
            StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(":").pop() },
        } as never,
    });

    const stop = (error: AwsError & { state: string; input?: Json }) => {
        if (limitError) return;
        limitError = error;
        execution.abort();
    };
    const watch = (async () => {
        const inputs = new Map<string, Json>();
        for await (const event of execution.eventLogs) {
            if (limitError) continue;
            if (event.type === "MapIterationSucceeded" || event.type === "MapIterationFailed") continue;
            if (event.type === "MapIterationStarted") {
                // Started and, at its end, Succeeded or Failed: counted together, because the tool
                // does not always report the last iteration's end before the Map's.
                report.historyEvents += 2;
                if (report.historyEvents >= historyLimit) stop({ ...historyLimitError(historyLimit), state: event.parentState.name, input: inputs.get(event.parentState.name) });
                continue;
            }
            if (event.type !== "StateEntered" && event.type !== "StateExited" && event.type !== "StateFailed") continue;
            const name = event.state.name;
            const def = states[name] ?? {};
            if (event.type === "StateEntered") {
                report.transitions++;
                report.historyEvents++;
                inputs.set(name, event.state.input as Json);
                options.onEvent?.({ type: "entered", state: name, stateType: event.state.type, payload: event.state.input as Json });
            } else if (event.type === "StateExited") {
                report.historyEvents += 1 + ownEvents(def);
                const size = bytes(event.state.output);
                report.peakPayloadBytes = Math.max(report.peakPayloadBytes, size);
                options.onEvent?.({ type: "exited", state: name, stateType: event.state.type, payload: event.state.output as Json });
                if (size > payloadLimit) {
                    stop({
                        Error: "States.DataLimitExceeded",
                        Cause: `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
                        state: name,
                        input: inputs.get(name),
                    });
                }
            } else {
                lastFailed = { state: name, input: inputs.get(name) };
                report.historyEvents += def.Type === "Task" || def.Type === "Map" || def.Type === "Parallel" ? ownEvents(def) : 1;
                options.onEvent?.({ type: "failed", state: name, stateType: event.state.type, error: { Error: event.Error, Cause: String(event.Cause) } });
            }
            if (report.historyEvents >= historyLimit) stop({ ...historyLimitError(historyLimit), state: name, input: inputs.get(name) });
        }
    })();

    let failure: { error: AwsError; state?: string; input?: Json } | undefined;
    try {
        const output = (await execution.result) as Json;
        report.output = output;
    } catch (caught) {
        failure = { error: executionError(caught) };
    }
    await watch;
    if (failure && lastFailed) Object.assign(failure, lastFailed);
    if (limitError) {
        const { state, input, ...error } = limitError;
        failure = { error, state, input };
        delete report.output;
    }
    report.historyEvents++; // ExecutionSucceeded or ExecutionFailed
    report.durationMs = Date.now() - started;
    for (const child of nested) {
        report.transitions += child.transitions;
        report.historyEvents = Math.max(report.historyEvents, child.historyEvents);
        report.peakPayloadBytes = Math.max(report.peakPayloadBytes, child.peakPayloadBytes);
        report.executions += child.executions;
    }
    if (failure) {
        report.status = "FAILED";
        report.error = failure.error;
        report.failedState = failure.state;
        report.lastInput = failure.input;
    }
    return report;
}

/** aws-local-stepfunctions wraps the failure; unwrap it to AWS's {Error, Cause}. */
function executionError(caught: unknown): AwsError {
    const err = caught as { cause?: unknown; message?: string; name?: string } & Record<string, unknown>;
    const inner = (err.cause ?? err) as { name?: string; message?: string; cause?: unknown };
    const name = inner.name ?? "States.Runtime";
    const message = typeof inner.cause === "string" ? inner.cause : (inner.message ?? String(caught));
    return { Error: name, Cause: message };
}
