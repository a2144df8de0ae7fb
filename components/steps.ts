// Step kinds as plain data, after every Pulumi Input has been resolved. Each kind knows the ASL
// state it becomes, what it costs in history, and what it may add to a job; nothing here needs Pulumi.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An ASL Retrier, as Step Functions takes it. */
export interface Retrier {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: "FULL" | "NONE";
}

/** AWS's advice for Lambda tasks: retry the service's transient errors (see aws-limits.md). */
export const LAMBDA_TRANSIENT_RETRY: Retrier = {
    ErrorEquals: ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
    IntervalSeconds: 1,
    MaxAttempts: 3,
    BackoffRate: 2,
    JitterStrategy: "FULL",
};

/** What a step whose result size cannot be known at deploy time is assumed to add to a job. */
export const DEFAULT_MAX_RESULT_BYTES = 256;

interface StepBase {
    /** The state's name in the state machine. */
    name: string;
    /** The job field that receives the step's result. */
    resultKey: string;
}

export interface PassStepSpec extends StepBase {
    kind: "pass";
    result: Json;
}

export interface LambdaStepSpec extends StepBase {
    kind: "lambda";
    functionArn: string;
    retry?: Retrier[];
    timeoutSeconds?: number;
    maxResultBytes?: number;
}

export interface ActivityStepSpec extends StepBase {
    kind: "activity";
    activityArn: string;
    heartbeatSeconds?: number;
    timeoutSeconds?: number;
    maxResultBytes?: number;
}

export interface TaskStepSpec extends StepBase {
    kind: "task";
    resource: string;
    /** Paths in the parameters read the job, not the whole state: the job is the task's input. */
    parameters?: { [key: string]: Json };
    resultSelector?: { [key: string]: Json };
    retry?: Retrier[];
    timeoutSeconds?: number;
    heartbeatSeconds?: number;
    maxResultBytes?: number;
}

export type StepSpec = PassStepSpec | LambdaStepSpec | ActivityStepSpec | TaskStepSpec;
export type StepKind = StepSpec["kind"];
export const STEP_KINDS: readonly StepKind[] = ["pass", "lambda", "activity", "task"];

/** Where a step finds its job: the iterator works on the head of the list, a Map iteration on its item. */
export const HEAD_JOB = "$.jobs[0]";
export const MAP_ITEM_JOB = "$.job";
export type JobPath = typeof HEAD_JOB | typeof MAP_ITEM_JOB;

/** Integrations that wait for a job (.sync) or a token write one more history event: TaskSubmitted. */
export function waitsForCompletion(resource: unknown): boolean {
    return typeof resource === "string" && /\.(sync(:\d+)?|waitForTaskToken)$/.test(resource);
}

export const resultPathOf = (resultKey: string, job: JobPath = HEAD_JOB) => `${job}.${resultKey}`;

/** The job field a state stores its result in, if it is a step's state; the inverse of resultPathOf. */
export function resultKeyOf(state: { ResultPath?: unknown }): string | undefined {
    const path = String(state.ResultPath ?? "");
    const job = [HEAD_JOB, MAP_ITEM_JOB].find((prefix) => path.startsWith(`${prefix}.`));
    return job === undefined ? undefined : path.slice(job.length + 1);
}

/** The ASL state for one step, working on the job at `job` and storing its result there. */
export function stepState(step: StepSpec, job: JobPath = HEAD_JOB): Record<string, Json> {
    const resultPath = resultPathOf(step.resultKey, job);
    switch (step.kind) {
        case "pass":
            return { Type: "Pass", Result: step.result, ResultPath: resultPath };
        case "lambda":
            // The function ARN as Resource hands the job to the function and returns its value as is,
            // without lambda:invoke's response envelope, which would only bloat the state.
            return compact({
                Type: "Task",
                Resource: step.functionArn,
                InputPath: job,
                ResultPath: resultPath,
                TimeoutSeconds: step.timeoutSeconds,
                Retry: retriers(step.retry ?? [LAMBDA_TRANSIENT_RETRY]),
            });
        case "activity":
            return compact({
                Type: "Task",
                Resource: step.activityArn,
                InputPath: job,
                ResultPath: resultPath,
                HeartbeatSeconds: step.heartbeatSeconds,
                TimeoutSeconds: step.timeoutSeconds,
            });
        case "task":
            return compact({
                Type: "Task",
                Resource: step.resource,
                InputPath: job,
                Parameters: step.parameters,
                ResultSelector: step.resultSelector,
                ResultPath: resultPath,
                HeartbeatSeconds: step.heartbeatSeconds,
                TimeoutSeconds: step.timeoutSeconds,
                Retry: retriers(step.retry ?? []),
            });
        default:
            return assertNever(step);
    }
}

/**
 * The steps as a chain of states working on the job at `job`, the last going on to `then`. With
 * `record`, a task's error is kept on the job as `error` and the job goes straight to `caught`
 * (`then` unless the error needs trimming first), which marks it done. (A Pass cannot fail.)
 */
export function stepChain(steps: StepSpec[], job: JobPath, then: string, onJobError: "fail" | "record", caught = then): Record<string, Record<string, Json>> {
    const states: Record<string, Record<string, Json>> = {};
    steps.forEach((step, i) => {
        const state: Record<string, Json> = { ...stepState(step, job), Next: steps[i + 1]?.name ?? then };
        if (onJobError === "record" && state.Type === "Task") {
            state.Catch = [{ ErrorEquals: ["States.ALL"], ResultPath: `${job}.error`, Next: caught }];
        }
        states[step.name] = state;
    });
    return states;
}

/**
 * History events one run of the step writes (API reference, HistoryEvent): Entered and Exited for
 * every state, plus Scheduled, Started and Succeeded for a task; integrations that wait for a job
 * (.sync) or a token also write Submitted. Retries come on top.
 */
export function stepHistoryEvents(step: StepSpec): number {
    switch (step.kind) {
        case "pass":
            return 2;
        case "lambda":
        case "activity":
            return 5;
        case "task":
            return waitsForCompletion(step.resource) ? 6 : 5;
        default:
            return assertNever(step);
    }
}

/** Bytes the step's result adds to a job: `,"key":value`. */
export function stepResultBytes(step: StepSpec): number {
    const field = Buffer.byteLength(`,${JSON.stringify(step.resultKey)}:`, "utf8");
    switch (step.kind) {
        case "pass":
            return field + Buffer.byteLength(JSON.stringify(step.result), "utf8");
        case "lambda":
        case "activity":
        case "task":
            return field + (step.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES);
        default:
            return assertNever(step);
    }
}

export function stepFunctionArns(step: StepSpec): string[] {
    return step.kind === "lambda" ? [step.functionArn] : [];
}

function retriers(list: Retrier[]): Json | undefined {
    return list.length === 0 ? undefined : (list as unknown as Json);
}

/** Drops undefined fields so the definition holds only what was asked for. */
export function compact(state: Record<string, Json | undefined>): Record<string, Json> {
    return Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)) as Record<string, Json>;
}

export function assertNever(value: never): never {
    throw new Error(`unexpected step kind ${JSON.stringify((value as { kind?: unknown }).kind)}`);
}
