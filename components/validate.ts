// Checks the component's arguments, whether they come from TypeScript or from stack config, and
// says what is wrong in one line that names the field. Values still being Pulumi Inputs are let through.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseTarget, targetProblem, type TargetKind } from "./arns";
import { STATE } from "./definition";
import { STEP_KINDS } from "./steps";
import { taskGrantProblem } from "./taskGrantChecks";
import { alarmArgsProblem } from "./alarmArgs";
import type { IteratorWorkflowArgs, StepArgs } from "./types";
import { INLINE_MAP_MAX_CONCURRENCY } from "./capacity";
import { MAP_OWN_STATE_NAMES } from "./mapDefinition";
import { STRATEGIES, TAG_PREFIX } from "./workflowTags";

/** The component's own state names; a step may not take one. */
export const RESERVED_STATE_NAMES: readonly string[] = [...Object.values(STATE), ...MAP_OWN_STATE_NAMES];
/** Job fields the component writes itself. */
export const RESERVED_RESULT_KEYS = ["done", "error"] as const;

export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export class ArgsError extends Error {
    constructor(
        readonly field: string,
        readonly problem: string,
    ) {
        super(`${field}: ${problem}`);
        this.name = "ArgsError";
    }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
function show(v: unknown): string {
    if (v === undefined) return "nothing";
    if (pulumi.Resource.isInstance(v)) return `a resource of class ${v.constructor.name}`;
    let text: string | undefined;
    try {
        text = JSON.stringify(v);
    } catch {
        // Circular or BigInt: still one line, never a stack trace.
    }
    return (text ?? String(v)).slice(0, 80);
}

function onlyKeys(value: Obj, field: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) throw new ArgsError(`${field}.${key}`, `unknown key; expected one of ${allowed.join(", ")}`);
    }
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !allowed.includes(value as T)) throw new ArgsError(field, `must be one of ${allowed.join(", ")}, got ${show(value)}`);
    return value as T;
}

function wholeNumber(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new ArgsError(field, `must be a whole number from ${min} to ${max}, got ${show(value)}`);
    }
    return value;
}

function present(value: unknown, field: string, what: string): void {
    if (value === undefined || value === null || value === "") throw new ArgsError(field, `is required: ${what}`);
}

function retry(value: unknown, field: string): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) throw new ArgsError(field, `must be a list of ASL retriers, got ${show(value)}`);
    value.forEach((r, i) => {
        if (!isObj(r) || !Array.isArray(r.ErrorEquals) || r.ErrorEquals.length === 0 || !r.ErrorEquals.every((e) => typeof e === "string")) {
            throw new ArgsError(`${field}[${i}].ErrorEquals`, "must be a non-empty list of error names");
        }
        onlyKeys(r, `${field}[${i}]`, ["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy"]);
    });
}

/**
 * A step's target: a resource object of the expected class, a Pulumi Output or promise (its ARN is
 * checked by AWS when it is known, at deploy), or an ARN of the expected kind.
 */
function stepTarget(value: unknown, field: string, kind: TargetKind, resource?: { name: string; isInstance(o: unknown): boolean }): void {
    if (resource?.isInstance(value) || pulumi.Output.isInstance(value) || value instanceof Promise) return;
    if (typeof value === "string") {
        const problem = targetProblem(value, kind);
        if (problem !== undefined) throw new ArgsError(field, problem);
        return;
    }
    const arn = { function: "a Lambda function ARN", activity: "an activity ARN", integration: "a Step Functions service integration ARN" }[kind];
    throw new ArgsError(field, `must be ${resource ? `an ${resource.name}, ` : ""}${arn} or a pulumi Output of one, got ${show(value)}`);
}

const LAMBDA_FUNCTION = { name: "aws.lambda.Function", isInstance: (o: unknown) => aws.lambda.Function.isInstance(o) };
const ACTIVITY = { name: "aws.sfn.Activity", isInstance: (o: unknown) => aws.sfn.Activity.isInstance(o) };

/**
 * CreateStateMachine refuses an EXPRESS definition with an activity or a `.sync` or
 * `.waitForTaskToken` integration: Express workflows support neither activities nor those patterns
 * (developer guide, "Choosing workflow type in Step Functions",
 * https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html). A resource still
 * unknown (an Output) is left to AWS.
 */
function expressSteps(steps: StepArgs[], field: string): void {
    steps.forEach((step, i) => {
        if (step.kind === "activity") {
            throw new ArgsError(`${field}[${i}].activity`, "EXPRESS workflows cannot run activities; use a STANDARD workflow, or a lambda or task step");
        }
        if (step.kind !== "task" || typeof step.resource !== "string") return;
        const target = parseTarget(step.resource);
        if (typeof target === "string" || target.kind !== "integration") return;
        switch (target.pattern) {
            case "request-response":
                return;
            case "sync":
                throw new ArgsError(`${field}[${i}].resource`, `EXPRESS workflows cannot wait for a job (.sync); use a STANDARD workflow, or the request-response integration ${step.resource.replace(/\.sync(:\d+)?$/, "")}`);
            case "waitForTaskToken":
                throw new ArgsError(`${field}[${i}].resource`, "EXPRESS workflows cannot wait for a task token (.waitForTaskToken); use a STANDARD workflow");
            default:
                return assertNever(target.pattern);
        }
    });
}

function assertNever(value: never): never {
    throw new Error(`unexpected integration pattern ${JSON.stringify(value)}`);
}

const STEP_KEYS: Record<StepArgs["kind"], readonly string[]> = {
    pass: ["kind", "name", "resultKey", "result"],
    lambda: ["kind", "name", "resultKey", "function", "retry", "timeoutSeconds", "maxResultBytes"],
    activity: ["kind", "name", "resultKey", "activity", "heartbeatSeconds", "timeoutSeconds", "maxResultBytes"],
    task: ["kind", "name", "resultKey", "resource", "parameters", "resultSelector", "policyStatements", "retry", "timeoutSeconds", "heartbeatSeconds", "maxResultBytes"],
};

/** Validates one step; `field` is where the user wrote it, e.g. `steps[1]`. */
export function validateStep(step: unknown, field: string): StepArgs {
    if (!isObj(step)) throw new ArgsError(field, `must be an object with kind, name and resultKey, got ${show(step)}`);
    const kind = oneOf(step.kind, `${field}.kind`, STEP_KINDS);
    if (kind === undefined) throw new ArgsError(`${field}.kind`, `is required: one of ${STEP_KINDS.join(", ")}`);
    onlyKeys(step, field, STEP_KEYS[kind]);

    const name = step.name;
    if (typeof name !== "string" || name.length < 1 || [...name].length > 80) throw new ArgsError(`${field}.name`, `must be a state name of 1 to 80 characters, got ${show(name)}`);
    // Control characters break the console and the history API's JSON; AWS rejects them too.
    if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) throw new ArgsError(`${field}.name`, `must not contain control characters, got ${show(name)}`);
    if (RESERVED_STATE_NAMES.includes(name)) throw new ArgsError(`${field}.name`, `"${name}" is one of the component's own states (${RESERVED_STATE_NAMES.join(", ")}); pick another name`);

    const key = step.resultKey;
    if (typeof key !== "string" || !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(key)) {
        throw new ArgsError(`${field}.resultKey`, `must be a field name of letters, digits and _ that does not start with a digit, got ${show(key)}`);
    }
    if ((RESERVED_RESULT_KEYS as readonly string[]).includes(key)) throw new ArgsError(`${field}.resultKey`, `"${key}" is written by the component itself; pick another key`);

    wholeNumber(step.timeoutSeconds, `${field}.timeoutSeconds`, 1, 99_999_999);
    wholeNumber(step.heartbeatSeconds, `${field}.heartbeatSeconds`, 1, 99_999_999);
    wholeNumber(step.maxResultBytes, `${field}.maxResultBytes`, 0, 262_144);
    retry(step.retry, `${field}.retry`);
    switch (kind) {
        case "pass":
            if (!("result" in step) || step.result === undefined) throw new ArgsError(`${field}.result`, "is required: the value to store on each job");
            // ASL gives no sure reading of `"Result": null`: a null could store null or pass the state
            // through, which would copy the whole state into every job. Refused rather than guessed.
            if (step.result === null) throw new ArgsError(`${field}.result`, 'must not be null: a Pass state\'s null Result is not stored reliably; use false, "" or {} instead');
            break;
        case "lambda":
            present(step.function, `${field}.function`, "an aws.lambda.Function or a function ARN");
            stepTarget(step.function, `${field}.function`, "function", LAMBDA_FUNCTION);
            break;
        case "activity":
            present(step.activity, `${field}.activity`, "an aws.sfn.Activity or an activity ARN");
            stepTarget(step.activity, `${field}.activity`, "activity", ACTIVITY);
            break;
        case "task":
            present(step.resource, `${field}.resource`, "the service integration's ARN, e.g. arn:aws:states:::ecs:runTask.sync");
            stepTarget(step.resource, `${field}.resource`, "integration");
            if (step.policyStatements !== undefined && !Array.isArray(step.policyStatements)) throw new ArgsError(`${field}.policyStatements`, "must be a list of IAM statements");
            if (step.parameters !== undefined && !isObj(step.parameters)) throw new ArgsError(`${field}.parameters`, "must be an object of ASL Parameters");
            {
                const grant = taskGrantProblem(step);
                if (grant !== undefined) throw new ArgsError(`${field}.${grant.field}`, grant.problem);
            }
            break;
    }
    return step as unknown as StepArgs;
}

export function validateSteps(steps: unknown, field = "steps"): StepArgs[] {
    if (!Array.isArray(steps) || steps.length === 0) throw new ArgsError(field, `must be a list of one or more steps, got ${show(steps)}`);
    const valid = steps.map((s, i) => validateStep(s, `${field}[${i}]`));
    const seen = new Map<string, number>();
    const keys = new Map<string, number>();
    valid.forEach((s, i) => {
        if (seen.has(s.name)) throw new ArgsError(`${field}[${i}].name`, `"${s.name}" is already the name of ${field}[${seen.get(s.name)}]; state names must be unique`);
        if (keys.has(s.resultKey)) throw new ArgsError(`${field}[${i}].resultKey`, `"${s.resultKey}" is already written by ${field}[${keys.get(s.resultKey)}]; one result would overwrite the other`);
        seen.set(s.name, i);
        keys.set(s.resultKey, i);
    });
    return valid;
}

const ARG_KEYS = ["steps", "onJobError", "type", "logging", "tracing", "timeoutSeconds", "tags", "limits", "handOver", "strategy", "maxConcurrency", "alarms", "jobStore"];

/** S3's rules for a bucket name (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), the common part. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function jobStore(value: unknown, strategy: string | undefined): void {
    if (value === undefined || value === false) return;
    if (!isObj(value)) throw new ArgsError("jobStore", `must be false or an object with bucket, inputPrefix, resultsPrefix and windowJobs, got ${show(value)}`);
    if (strategy === "map") throw new ArgsError("jobStore", 'only the "iterator" strategy reads jobs by reference; leave it out, or set it to false');
    onlyKeys(value, "jobStore", ["bucket", "inputPrefix", "resultsPrefix", "windowJobs"]);
    const bucket = value.bucket;
    if (typeof bucket === "string" && !BUCKET_NAME.test(bucket)) throw new ArgsError("jobStore.bucket", `must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens), got ${show(bucket)}`);
    if (bucket !== undefined && typeof bucket !== "string" && !aws.s3.Bucket.isInstance(bucket) && !aws.s3.BucketV2.isInstance(bucket) && !pulumi.Output.isInstance(bucket) && !(bucket instanceof Promise)) {
        throw new ArgsError("jobStore.bucket", `must be an aws.s3.Bucket, a bucket name or an Output of one, got ${show(bucket)}`);
    }
    const prefixes: [string, unknown][] = [
        ["inputPrefix", value.inputPrefix],
        ["resultsPrefix", value.resultsPrefix],
    ];
    for (const [key, prefix] of prefixes) {
        if (prefix !== undefined && (typeof prefix !== "string" || prefix === "" || prefix.startsWith("/") || prefix.length > 512)) {
            throw new ArgsError(`jobStore.${key}`, `must be a key prefix such as "input/" (not empty, not starting with /, at most 512 characters), got ${show(prefix)}`);
        }
    }
    const input = (value.inputPrefix as string | undefined) ?? DEFAULT_INPUT_PREFIX;
    const results = (value.resultsPrefix as string | undefined) ?? DEFAULT_RESULTS_PREFIX;
    // The function may read the one and write the other: overlapping, it could overwrite its own input.
    if (input.startsWith(results) || results.startsWith(input)) throw new ArgsError("jobStore.resultsPrefix", `must not overlap the input prefix: "${results}" and "${input}"`);
    wholeNumber(value.windowJobs, "jobStore.windowJobs", 1, 100_000);
}

export const DEFAULT_INPUT_PREFIX = "input/";
export const DEFAULT_RESULTS_PREFIX = "results/";

export function validateArgs(args: unknown, field = "args"): IteratorWorkflowArgs {
    if (!isObj(args)) throw new ArgsError(field, "must be an object with at least `steps`");
    onlyKeys(args, field, ARG_KEYS);
    const steps = validateSteps(args.steps, "steps");
    oneOf(args.onJobError, "onJobError", ["fail", "record"] as const);
    if (oneOf(args.type, "type", ["STANDARD", "EXPRESS"] as const) === "EXPRESS") expressSteps(steps, "steps");
    wholeNumber(args.timeoutSeconds, "timeoutSeconds", 1, 31_536_000);
    const alarms = alarmArgsProblem(args.alarms, args.type);
    if (alarms !== undefined) throw new ArgsError(alarms.field, alarms.problem);
    if (args.tracing !== undefined && typeof args.tracing !== "boolean") throw new ArgsError("tracing", `must be true or false, got ${show(args.tracing)}`);
    if (args.logging !== undefined) {
        if (!isObj(args.logging)) throw new ArgsError("logging", `must be an object, got ${show(args.logging)}`);
        onlyKeys(args.logging, "logging", ["level", "includeExecutionData", "retentionInDays"]);
        oneOf(args.logging.level, "logging.level", ["ALL", "ERROR", "FATAL", "OFF"] as const);
        const days = args.logging.retentionInDays;
        if (days !== undefined && !LOG_RETENTION_DAYS.includes(days as number)) throw new ArgsError("logging.retentionInDays", `must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${show(days)}`);
        const data = args.logging.includeExecutionData;
        if (data !== undefined && typeof data !== "boolean") throw new ArgsError("logging.includeExecutionData", `must be true or false, got ${show(data)}`);
    }
    const handOver = args.handOver;
    if (handOver !== undefined && typeof handOver !== "boolean") {
        if (!isObj(handOver)) throw new ArgsError("handOver", `must be true, false or {jobsPerExecution}, got ${show(handOver)}`);
        onlyKeys(handOver, "handOver", ["jobsPerExecution"]);
        if (wholeNumber(handOver.jobsPerExecution, "handOver.jobsPerExecution", 1) === undefined) throw new ArgsError("handOver.jobsPerExecution", "is required: the jobs after which an execution hands over");
    }
    const strategy = oneOf(args.strategy, "strategy", STRATEGIES);
    wholeNumber(args.maxConcurrency, "maxConcurrency", 1, INLINE_MAP_MAX_CONCURRENCY);
    if (args.maxConcurrency !== undefined && strategy !== "map") throw new ArgsError("maxConcurrency", 'only the "map" strategy runs jobs at once; the iterator runs one after another');
    if (strategy === "map" && handOver !== undefined && handOver !== false) {
        throw new ArgsError("handOver", 'the "map" strategy does not hand over: its iterations count in one execution\'s history; use the "iterator" strategy for lists past it');
    }
    if (args.type === "EXPRESS" && handOver !== undefined && handOver !== false) {
        throw new ArgsError("handOver", "EXPRESS workflows have no history limit to hand over before, and cannot wait for an execution (.sync); leave it out");
    }
    jobStore(args.jobStore, strategy);
    if (isObj(args.tags)) {
        const own = Object.keys(args.tags).find((key) => key.startsWith(TAG_PREFIX));
        if (own !== undefined) throw new ArgsError(`tags.${own}`, `tags starting with "${TAG_PREFIX}" are written by the component for the policy pack; pick another key`);
    }
    if (args.limits !== undefined) {
        if (!isObj(args.limits)) throw new ArgsError("limits", `must be an object with maxJobs and maxJobBytes, got ${show(args.limits)}`);
        onlyKeys(args.limits, "limits", ["maxJobs", "maxJobBytes"]);
        wholeNumber(args.limits.maxJobs, "limits.maxJobs", 0);
        wholeNumber(args.limits.maxJobBytes, "limits.maxJobBytes", 2, 262_144);
    }
    return args as unknown as IteratorWorkflowArgs;
}
