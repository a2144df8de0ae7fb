// Runs an ASL definition in-process with aws-local-stepfunctions, as a small local Step Functions
// service: it holds every execution a run starts (a hand-over starts more), answers the Step
// Functions API calls the definition makes (startExecution.sync:2, and the AWS SDK's
// redriveExecution and getExecutionHistory), redrives a failed execution from its failed state,
// saves finished executions for another service to load and redrive later, and holds each execution
// to the AWS limits that tool leaves out: 262,144 bytes for every state, task input and task result,
// and, for Standard, 25,000 history events.
import { createHash } from "node:crypto";
import { StateMachine, StatesTimeoutError, type StateMachineDefinition as LocalDefinition } from "./emulator";
import { inCallerOrder, STEP_FUNCTIONS_PAYLOAD_LIMIT, type Settings, type WorkflowState } from "../functions/moveToEnd";
import { HISTORY_EVENT_LIMIT } from "../components/capacity";
import { STATE, type StateMachineDefinition } from "../components/definition";
import { waitsForCompletion, type Json } from "../components/steps";
import { eachState } from "../policies/asl";

export type TaskHandler = (input: Json) => Promise<Json>;

/** Standard's price per state transition in most regions (https://aws.amazon.com/step-functions/pricing/). */
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
    /** The execution it happened in: the first one, or one a hand-over started. */
    execution: string;
}

export interface RunOptions {
    definition: StateMachineDefinition;
    input: Json;
    /** Local code for Task states, by state name. Every Task needs one, but those of the Step Functions API, which the service answers. */
    handlers: Record<string, TaskHandler>;
    type?: "STANDARD" | "EXPRESS";
    /** Lower these only to test the enforcement itself. */
    payloadLimitBytes?: number;
    historyEventLimit?: number;
    onEvent?: (event: LocalEvent) => void;
    /** The state machine's ARN, for `$$.StateMachine.Id`. */
    stateMachineArn?: string;
    /**
     * Wraps every Task call, by state name: a test can make a call fail before or after it does its
     * work (a throttled request, a lost response) to see the workflow's retries and recovery.
     */
    interceptTask?: (state: string, call: () => Promise<Json>) => Promise<Json>;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED";

/** One execution, as DescribeExecution and its history would show it. */
export interface ExecutionRecord {
    arn: string;
    name: string;
    input: Json;
    status: ExecutionStatus;
    output?: Json;
    error?: AwsError;
    /** The state it failed in (a step inside a Map, say). */
    failedState?: string;
    /** The top-level state holding it, and that state's input: what a redrive restarts from. */
    redriveFrom?: string;
    failedInput?: Json;
    /** The last workflow state (a state holding `jobs`) it had: what a new execution resumes from. */
    lastWorkState?: Json;
    /** Executions it started by hand-over. */
    children: string[];
    redriveCount: number;
    /** Counted as AWS counts them, over every attempt: the 25,000-event limit is per execution. */
    historyEvents: number;
    transitions: number;
    peakPayloadBytes: number;
    /** Reaching the history limit makes an execution impossible to redrive (DescribeExecution, redriveStatusReason). */
    historyLimitReached: boolean;
    running?: Promise<ExecutionRecord>;
}

/**
 * An execution as the service saves it for a later redrive (`save`, `load`): its record without the
 * attempt in progress, and the digest of the definition it ran.
 */
export type SavedExecution = Omit<ExecutionRecord, "running"> & { definitionDigest: string };

/** DescribeExecution's redriveStatus and redriveStatusReason. */
export type RedriveStatus = { redrivable: true } | { redrivable: false; reason: string };

/** SHA-256 of the definition's JSON text: which definition an execution ran. */
export function definitionDigest(definition: StateMachineDefinition): string {
    return createHash("sha256").update(JSON.stringify(definition)).digest("hex");
}

/**
 * Saved executions that ran another definition than the service's: AWS redrives an execution with
 * the definition it started with, so they cannot be redriven with this one.
 */
export class DefinitionChangedError extends Error {
    constructor(readonly executionArn: string) {
        super(`Execution '${executionArn}' ran another definition of this state machine`);
    }
}

export interface RunReport {
    status: "SUCCEEDED" | "FAILED";
    output?: Json;
    error?: AwsError;
    /** The state the first execution failed in. */
    failedState?: string;
    /**
     * The kept state: for the iterator, every job in the caller's order with what was done to it,
     * wherever it was done (a failed hand-over's executions included), ready to be the input of a new
     * execution that redoes no finished job; for a map, its input.
     */
    lastInput?: Json;
    /** Across every execution and redrive: what AWS bills. */
    transitions: number;
    /** Of the execution with the longest history: what the 25,000-event limit applies to. */
    historyEvents: number;
    /** Across every execution and redrive. */
    totalHistoryEvents: number;
    peakPayloadBytes: number;
    durationMs: number;
    /** The first execution and those it started by hand-over. */
    executions: number;
    /** The first execution's ARN, to redrive it with the same service. */
    executionArn: string;
}

const DEFAULT_STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:local";
/** The longest cause AWS reports (API reference, ExecutionFailedEventDetails). */
const CAUSE_MAX_CHARS = 32_768;
/** Execution names are unique in a process, as AWS keeps them unique per state machine: runs by reference write under them. */
let executions = 0;

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? "null", "utf8");
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * How many AWS history events a state adds besides Entered/Exited: a Task's Scheduled, Started,
 * Succeeded or Failed (and Submitted when it waits); a Map's or Parallel's Started and Succeeded or Failed.
 */
function ownEvents(state: Record<string, Json>): number {
    if (state.Type === "Task") return waitsForCompletion(state.Resource) ? 4 : 3;
    return state.Type === "Map" || state.Type === "Parallel" ? 2 : 0;
}

const historyLimitError = (limit: number): AwsError => ({ Error: "States.Runtime", Cause: `The execution reached the maximum number of history events (${limit}).` });

/** An error with the name Step Functions gives it, as a Task's handler throws it. */
function awsError(name: string, cause: string): Error {
    const err = new Error(cause);
    err.name = name;
    return err;
}

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
            throw awsError(name, JSON.stringify({ errorType: name, errorMessage: err.message, trace: [] }));
        }
    };
}

/** The Step Functions API tasks the service answers itself, by the integration they call. */
export type ServiceCall = "startExecution" | "redriveExecution" | "getExecutionHistory";

export function serviceCallOf(resource: unknown): ServiceCall | undefined {
    const text = String(resource);
    if (/^arn:[a-z-]+:states:::states:startExecution\.sync:2$/.test(text)) return "startExecution";
    const sdk = /^arn:[a-z-]+:states:::aws-sdk:sfn:(redriveExecution|getExecutionHistory)$/.exec(text);
    return sdk ? (sdk[1] as ServiceCall) : undefined;
}

/** The MoveToEnd settings the definition passes, when it is an iterator workflow. */
function iteratorSettings(definition: StateMachineDefinition): Settings | undefined {
    const params = definition.States[STATE.prepare]?.Parameters as { settings?: Settings } | undefined;
    return params?.settings;
}

export class LocalStepFunctions {
    readonly executions = new Map<string, ExecutionRecord>();
    private readonly payloadLimit: number;
    private readonly historyLimit: number;
    private readonly states: Record<string, Record<string, Json>>;
    private readonly stateMachineArn: string;

    constructor(private readonly options: Omit<RunOptions, "input">) {
        this.payloadLimit = options.payloadLimitBytes ?? STEP_FUNCTIONS_PAYLOAD_LIMIT;
        this.historyLimit = options.type === "EXPRESS" ? Infinity : (options.historyEventLimit ?? HISTORY_EVENT_LIMIT);
        // Every state by name, nested ones too: ASL names are unique in the whole machine.
        this.states = Object.fromEntries([...eachState(options.definition)].map(({ name, state }) => [name, state as Record<string, Json>]));
        this.stateMachineArn = options.stateMachineArn ?? DEFAULT_STATE_MACHINE_ARN;
    }

    /** StartExecution: a new execution, or, for the same name and input while it runs, the same one. */
    async start(input: Json, name = `local-${process.pid}-${++executions}`, stateMachineArn = this.stateMachineArn): Promise<ExecutionRecord> {
        const arn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
        const existing = this.executions.get(arn);
        if (existing) {
            if (existing.status === "RUNNING" && JSON.stringify(existing.input) === JSON.stringify(input)) return existing.running!;
            throw awsError("StepFunctions.ExecutionAlreadyExistsException", `Execution Already Exists: '${arn}'`);
        }
        const record: ExecutionRecord = { arn, name, input, status: "RUNNING", children: [], redriveCount: 0, historyEvents: 0, transitions: 0, peakPayloadBytes: 0, historyLimitReached: false };
        this.executions.set(arn, record);
        record.running = this.run(record, this.options.definition.StartAt, input);
        return record.running;
    }

    /** RedriveExecution: runs a failed execution again from the state it failed in, with that state's input. */
    redrive(arn: string): Promise<ExecutionRecord> {
        const status = this.redriveStatus(arn);
        if (!status.redrivable) throw awsError("Sfn.ExecutionNotRedrivableException", `${status.reason}: '${arn}'`);
        const record = this.executions.get(arn)!;
        record.status = "RUNNING";
        record.redriveCount++;
        record.running = this.run(record, record.redriveFrom!, record.failedInput ?? null);
        return record.running;
    }

    /**
     * Whether RedriveExecution would take the execution, and if not why, in DescribeExecution's words
     * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
     */
    redriveStatus(arn: string): RedriveStatus {
        const record = this.executions.get(arn);
        if (!record) throw awsError("Sfn.ExecutionDoesNotExistException", `Execution Does Not Exist: '${arn}'`);
        // RedriveExecution is for Standard workflows only (API reference, RedriveExecution).
        if (this.options.type === "EXPRESS") return { redrivable: false, reason: "Execution of an EXPRESS state machine cannot be redriven" };
        if (record.historyLimitReached) return { redrivable: false, reason: "Execution history event limit exceeded" };
        if (record.status !== "FAILED" || record.redriveFrom === undefined) return { redrivable: false, reason: `Execution is ${record.status} and cannot be redriven` };
        // AWS redrives only an inline Map's or Parallel's failed iterations and branches; rerunning
        // every one of them here would show a redrive doing finished jobs again, which AWS does not.
        const from = this.options.definition.States[record.redriveFrom]?.Type;
        if (from === "Map" || from === "Parallel") {
            return { redrivable: false, reason: `The local service cannot redrive only the failed iterations of ${String(from)} state ${record.redriveFrom}, as AWS does` };
        }
        return { redrivable: true };
    }

    /**
     * Where a redrive of the execution ends up rerunning what failed: the execution itself, or, when it
     * failed waiting on the execution it handed over to, the deepest failed execution down that chain.
     */
    failureOrigin(arn: string): ExecutionRecord {
        const record = this.executions.get(arn);
        if (!record) throw awsError("Sfn.ExecutionDoesNotExistException", `Execution Does Not Exist: '${arn}'`);
        const waiting = record.redriveFrom !== undefined && serviceCallOf(this.states[record.redriveFrom]?.Resource) === "startExecution";
        const child = waiting ? record.children.map((c) => this.executions.get(c)!).find((c) => c.status === "FAILED") : undefined;
        return child === undefined ? record : this.failureOrigin(child.arn);
    }

    /**
     * The execution and every execution it started by hand-over, as plain JSON to keep and `load`
     * into another service later: what a redrive needs, and the digest of the definition they ran.
     */
    save(arn: string): SavedExecution[] {
        const record = this.executions.get(arn);
        if (!record) throw awsError("Sfn.ExecutionDoesNotExistException", `Execution Does Not Exist: '${arn}'`);
        const digest = definitionDigest(this.options.definition);
        return this.chain(record).map(({ running: _running, ...rest }) => {
            if (rest.status === "RUNNING") throw new Error(`Execution '${rest.arn}' is RUNNING: only a finished execution can be saved`);
            return { ...(structuredClone(rest) as Omit<ExecutionRecord, "running">), definitionDigest: digest };
        });
    }

    /**
     * Takes back executions `save` gave, to redrive them with this service's handlers (fixed code, as
     * a Lambda function is fixed before a redrive). Refuses those another definition ran.
     */
    load(saved: SavedExecution[]): void {
        const digest = definitionDigest(this.options.definition);
        for (const execution of saved) {
            if (execution.definitionDigest !== digest) throw new DefinitionChangedError(execution.arn);
            if (this.executions.has(execution.arn)) throw awsError("StepFunctions.ExecutionAlreadyExistsException", `Execution Already Exists: '${execution.arn}'`);
            if (execution.status === "RUNNING") throw new Error(`Execution '${execution.arn}' is RUNNING: only a finished execution can be loaded`);
        }
        for (const { definitionDigest: _digest, ...record } of saved) this.executions.set(record.arn, structuredClone(record));
    }

    /** The report of an execution and every execution it started by hand-over, as `npm start` prints it. */
    report(arn: string, durationMs: number): RunReport {
        const record = this.executions.get(arn)!;
        const chain = this.chain(record);
        const report: RunReport = {
            status: record.status === "SUCCEEDED" ? "SUCCEEDED" : "FAILED",
            transitions: chain.reduce((sum, r) => sum + r.transitions, 0),
            historyEvents: Math.max(...chain.map((r) => r.historyEvents)),
            totalHistoryEvents: chain.reduce((sum, r) => sum + r.historyEvents, 0),
            peakPayloadBytes: Math.max(...chain.map((r) => r.peakPayloadBytes)),
            durationMs,
            executions: chain.length,
            executionArn: arn,
        };
        if (record.status === "SUCCEEDED") report.output = record.output;
        else {
            report.error = record.error;
            report.failedState = record.failedState;
            report.lastInput = this.kept(record);
        }
        return report;
    }

    private chain(record: ExecutionRecord): ExecutionRecord[] {
        return [record, ...record.children.flatMap((arn) => this.chain(this.executions.get(arn)!))];
    }

    /**
     * What a new execution resumes from: the iterator's last workflow state in the caller's order, with
     * the progress of the executions it handed over to put in place of the jobs it sent them.
     */
    private kept(record: ExecutionRecord): Json | undefined {
        const settings = iteratorSettings(this.options.definition);
        const raw = record.lastWorkState;
        if (settings === undefined || raw === undefined) return raw ?? record.input;
        const child = record.children.map((arn) => this.executions.get(arn)!).find((c) => c.status !== "SUCCEEDED");
        try {
            const handedOver = child ? (this.kept(child) as unknown as WorkflowState) : undefined;
            return inCallerOrder(raw as unknown as WorkflowState, settings, handedOver) as unknown as Json;
        } catch {
            // A state the workflow itself refused (bad input): kept as it was.
            return raw;
        }
    }

    /** The handlers the definition's tasks get: the caller's, the service's own, each held to the payload limit. */
    private handlers(record: ExecutionRecord, stop: (e: AwsError & { state: string }) => void): Record<string, TaskHandler> {
        const handlers: Record<string, TaskHandler> = {};
        for (const [name, state] of Object.entries(this.states)) {
            if (state.Type !== "Task") continue;
            const call = serviceCallOf(state.Resource);
            const own = call ? this.serviceHandler(call, record) : this.options.handlers[name];
            if (!own) continue;
            handlers[name] = async (input) => {
                // After Parameters, a task's input is held to the limit too (developer guide, "Quotas").
                if (bytes(input) > this.payloadLimit) {
                    stop({ Error: "States.DataLimitExceeded", Cause: `The state/task '${name}' input exceeds the maximum number of bytes service limit.`, state: name });
                    throw awsError("States.DataLimitExceeded", "stopped");
                }
                let result: Json;
                try {
                    result = await (this.options.interceptTask ? this.options.interceptTask(name, () => own(input)) : own(input));
                } catch (err) {
                    // A local handler's timeout: the tool's own error, which States.TaskFailed does not match, as in AWS.
                    if ((err as Error).name === "States.Timeout" && !(err instanceof StatesTimeoutError)) throw new StatesTimeoutError();
                    throw err;
                }
                // Undefined is what a Lambda returning nothing gives: null in Step Functions.
                const raw = result === undefined ? null : result;
                const size = bytes(raw);
                record.peakPayloadBytes = Math.max(record.peakPayloadBytes, size);
                if (size > this.payloadLimit) {
                    stop({ Error: "States.DataLimitExceeded", Cause: `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`, state: name });
                    throw awsError("States.DataLimitExceeded", "stopped");
                }
                return raw;
            };
        }
        return handlers;
    }

    private serviceHandler(call: ServiceCall, parent: ExecutionRecord): TaskHandler {
        switch (call) {
            case "startExecution":
                return async (params) => {
                    const { StateMachineArn, Name, Input } = params as { StateMachineArn: string; Name: string; Input: Json };
                    const child = await this.start(Input, Name, StateMachineArn);
                    if (!parent.children.includes(child.arn)) parent.children.push(child.arn);
                    const described = { ExecutionArn: child.arn, Input: JSON.stringify(Input), InputDetails: { Included: true }, Name, StateMachineArn, Status: child.status, RedriveCount: child.redriveCount, StartDate: 0, StopDate: 0 };
                    if (child.status !== "SUCCEEDED") {
                        // Each execution up a chain wraps the one below's cause; AWS cuts a cause at 32,768 characters.
                        throw awsError("States.TaskFailed", JSON.stringify({ ...described, Error: child.error?.Error, Cause: child.error?.Cause }).slice(0, CAUSE_MAX_CHARS));
                    }
                    return { ...described, Output: child.output ?? null, OutputDetails: { Included: true }, RedriveStatus: "NOT_REDRIVABLE", RedriveStatusReason: "Execution is SUCCEEDED and cannot be redriven" };
                };
            case "redriveExecution":
                return async (params) => {
                    const arn = (params as { ExecutionArn: string }).ExecutionArn;
                    const running = this.redrive(arn);
                    // RedriveExecution answers at once; the execution runs on, and HandOver waits on it.
                    running.catch(() => undefined);
                    return { RedriveDate: 0 };
                };
            case "getExecutionHistory":
                return async (params) => {
                    const { ExecutionArn, IncludeExecutionData } = params as { ExecutionArn: string; IncludeExecutionData?: boolean };
                    const record = this.executions.get(ExecutionArn);
                    if (!record) throw awsError("Sfn.ExecutionDoesNotExistException", `Execution Does Not Exist: '${ExecutionArn}'`);
                    const event: Record<string, Json> = { Id: record.historyEvents, PreviousEventId: record.historyEvents - 1, Timestamp: 0 };
                    if (record.status === "SUCCEEDED") {
                        event.Type = "ExecutionSucceeded";
                        event.ExecutionSucceededEventDetails = IncludeExecutionData === false ? { OutputDetails: { Included: false } } : { Output: JSON.stringify(record.output), OutputDetails: { Included: true } };
                    } else if (record.status === "FAILED") {
                        event.Type = "ExecutionFailed";
                        event.ExecutionFailedEventDetails = { Error: record.error?.Error ?? "", Cause: record.error?.Cause ?? "" };
                    } else {
                        event.Type = "TaskStateEntered";
                    }
                    // A paging token comes back whenever more events remain, as they do here.
                    return { Events: [event], NextToken: "t".repeat(300) };
                };
            default:
                return assertNever(call);
        }
    }

    /** One attempt of an execution, from `startAt`, counted onto its record. */
    private async run(record: ExecutionRecord, startAt: string, input: Json): Promise<ExecutionRecord> {
        const { onEvent } = this.options;
        record.historyEvents++; // ExecutionStarted, or ExecutionRedriven on a redrive
        record.peakPayloadBytes = Math.max(record.peakPayloadBytes, bytes(input));
        let limitError: (AwsError & { state: string }) | undefined;
        // The state an execution fails in is the last one it entered; a redrive restarts the top-level
        // state holding it (a Map's iteration fails its Map).
        const inputs = new Map<string, Json>();
        let lastEntered: string | undefined;
        let lastTopLevel: string | undefined;
        const stop = (error: AwsError & { state: string }) => {
            if (limitError) return;
            limitError = error;
            execution.abort();
        };
        // The tool rewrites the definition it is given; it gets a copy so the caller's stays as synthesized.
        const definition = structuredClone(this.options.definition) as unknown as LocalDefinition;
        definition.StartAt = startAt;
        // A redrive starts elsewhere, which leaves the first states unreachable: the definition was
        // validated when the execution started.
        const machine = new StateMachine(definition, { validationOptions: { checkArn: false, noValidate: startAt !== this.options.definition.StartAt } });
        // Retries wait as AWS would, but here time is not what is tested.
        const noWait = Object.fromEntries(Object.entries(this.states).filter(([, s]) => Array.isArray(s.Retry)).map(([name]) => [name, 0]));
        const execution = machine.run(input as never, {
            overrides: { taskResourceLocalHandlers: this.handlers(record, stop) as never, retryIntervalOverrides: noWait },
            noThrowOnAbort: true,
            context: {
                Execution: { Id: record.arn, Name: record.name, Input: record.input, StartTime: new Date().toISOString(), RedriveCount: record.redriveCount },
                StateMachine: { Id: record.arn.replace(/:execution:([^:]+):[^:]+$/, ":stateMachine:$1"), Name: record.arn.split(":")[6] },
            } as never,
        });

        const watch = (async () => {
            for await (const event of execution.eventLogs) {
                if (limitError) continue;
                if (event.type === "MapIterationSucceeded" || event.type === "MapIterationFailed") continue;
                if (event.type === "MapIterationStarted") {
                    // Started and, at its end, Succeeded or Failed: counted together, because the tool
                    // does not always report the last iteration's end before the Map's.
                    record.historyEvents += 2;
                    if (record.historyEvents >= this.historyLimit) {
                        record.historyLimitReached = true;
                        stop({ ...historyLimitError(this.historyLimit), state: event.parentState.name });
                    }
                    continue;
                }
                if (event.type !== "StateEntered" && event.type !== "StateExited" && event.type !== "StateFailed") continue;
                const name = event.state.name;
                const def = this.states[name] ?? {};
                if (event.type === "StateEntered") {
                    record.transitions++;
                    record.historyEvents++;
                    const stateInput = event.state.input as Json;
                    inputs.set(name, stateInput);
                    lastEntered = name;
                    if (name in this.options.definition.States) lastTopLevel = name;
                    if (isObject(stateInput) && "jobs" in stateInput) record.lastWorkState = stateInput;
                    onEvent?.({ type: "entered", state: name, stateType: event.state.type, payload: stateInput, execution: record.arn });
                } else if (event.type === "StateExited") {
                    record.historyEvents += 1 + ownEvents(def);
                    const size = bytes(event.state.output);
                    record.peakPayloadBytes = Math.max(record.peakPayloadBytes, size);
                    onEvent?.({ type: "exited", state: name, stateType: event.state.type, payload: event.state.output as Json, execution: record.arn });
                    if (size > this.payloadLimit) {
                        stop({ Error: "States.DataLimitExceeded", Cause: `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`, state: name });
                    }
                } else {
                    record.historyEvents += def.Type === "Task" || def.Type === "Map" || def.Type === "Parallel" ? ownEvents(def) : 1;
                    onEvent?.({ type: "failed", state: name, stateType: event.state.type, error: { Error: event.Error, Cause: String(event.Cause) }, execution: record.arn });
                }
                if (record.historyEvents >= this.historyLimit) {
                    record.historyLimitReached = true;
                    stop({ ...historyLimitError(this.historyLimit), state: name });
                }
            }
        })();

        let error: AwsError | undefined;
        try {
            record.output = (await execution.result) as Json;
        } catch (caught) {
            error = executionError(caught);
        }
        await watch;
        record.historyEvents++; // ExecutionSucceeded or ExecutionFailed
        if (limitError) {
            const { state: _state, ...rest } = limitError;
            error = rest;
        }
        if (error) {
            delete record.output;
            record.status = "FAILED";
            record.error = error;
            record.failedState = lastEntered;
            record.redriveFrom = lastTopLevel;
            record.failedInput = lastTopLevel === undefined ? undefined : inputs.get(lastTopLevel);
        } else {
            record.status = "SUCCEEDED";
            delete record.error;
        }
        delete record.running;
        return record;
    }
}

export async function runLocally(options: RunOptions): Promise<RunReport> {
    const started = Date.now();
    const service = new LocalStepFunctions(options);
    const record = await service.start(options.input);
    return service.report(record.arn, Date.now() - started);
}

/** aws-local-stepfunctions wraps the failure; unwrap it to AWS's {Error, Cause}. */
function executionError(caught: unknown): AwsError {
    const err = caught as { cause?: unknown; message?: string; name?: string } & Record<string, unknown>;
    const inner = (err.cause ?? err) as { name?: string; message?: string; cause?: unknown };
    const name = inner.name ?? "States.Runtime";
    const message = typeof inner.cause === "string" ? inner.cause : (inner.message ?? String(caught));
    return { Error: name, Cause: message };
}

function assertNever(value: never): never {
    throw new Error(`unexpected ${String(value)}`);
}
