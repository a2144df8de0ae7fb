// The component's public argument types: what a user writes, where ARNs may still be Pulumi Inputs.
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { Json, Retrier } from "./steps";

export type { Json, Retrier } from "./steps";

export interface PolicyStatement {
    Effect?: "Allow" | "Deny";
    Action: string | string[];
    Resource: pulumi.Input<string> | pulumi.Input<string>[];
    Condition?: { [operator: string]: { [key: string]: string | string[] } };
}

interface StepArgsBase {
    /** The state's name: 1-80 characters, unique, not one of the component's own state names. */
    name: string;
    /** The job field that receives the step's result, e.g. `firstResult`. */
    resultKey: string;
}

/** Stores a fixed `result` on the job; what the seed pattern uses. */
export interface PassStepArgs extends StepArgsBase {
    kind: "pass";
    result: Json;
}

/** Invokes a Lambda function with the job as payload and stores what it returns. */
export interface LambdaStepArgs extends StepArgsBase {
    kind: "lambda";
    function: aws.lambda.Function | pulumi.Input<string>;
    /** Replaces the default retry of AWS's transient Lambda errors; `[]` retries nothing. */
    retry?: Retrier[];
    timeoutSeconds?: number;
    /** The largest result the function returns, for the payload budget. Default 256. */
    maxResultBytes?: number;
}

/** Hands the job to an activity worker and stores its output. */
export interface ActivityStepArgs extends StepArgsBase {
    kind: "activity";
    activity: aws.sfn.Activity | pulumi.Input<string>;
    heartbeatSeconds?: number;
    timeoutSeconds?: number;
    maxResultBytes?: number;
}

/** Any other service integration, e.g. `arn:aws:states:::ecs:runTask.sync`, with the IAM it needs. */
export interface TaskStepArgs extends StepArgsBase {
    kind: "task";
    resource: pulumi.Input<string>;
    /** ASL Parameters; their paths read the job (the task's input is jobs[0]). */
    parameters?: pulumi.Input<{ [key: string]: pulumi.Input<Json> }>;
    resultSelector?: { [key: string]: Json };
    /** What the state machine role must be allowed to do for this task. */
    policyStatements?: PolicyStatement[];
    retry?: Retrier[];
    timeoutSeconds?: number;
    heartbeatSeconds?: number;
    maxResultBytes?: number;
}

export type StepArgs = PassStepArgs | LambdaStepArgs | ActivityStepArgs | TaskStepArgs;

export type OnJobError = "fail" | "record";
export type WorkflowType = "STANDARD" | "EXPRESS";
export type LogLevel = "ALL" | "ERROR" | "FATAL" | "OFF";

export interface LoggingArgs {
    /** Default `ERROR`; `OFF` creates no log group. */
    level?: LogLevel;
    /** Default false: job data stays out of the logs. */
    includeExecutionData?: boolean;
    /** Default 30. */
    retentionInDays?: number;
}

export interface WorkflowLimits {
    /** The longest list of jobs one execution should take. */
    maxJobs?: number;
    /** The largest job, serialized, before any step has run. */
    maxJobBytes?: number;
}

/** CloudWatch alarms on the state machine's executions, and where they notify. */
export interface AlarmsArgs {
    /** The SNS topic alarms notify: an `aws.sns.Topic` or a topic ARN. Default: a topic the component creates, encrypted with a customer managed KMS key. */
    topic?: aws.sns.Topic | pulumi.Input<string>;
    /** The period each alarm counts executions over, in seconds: a multiple of 60, up to 86,400. Default 60. */
    periodSeconds?: number;
    /**
     * STANDARD only: forward every execution that ends FAILED, TIMED_OUT or ABORTED, as EventBridge's
     * status change event, `true` to the alarm topic, or `{target}` to a Lambda function (an
     * `aws.lambda.Function` or its ARN). Default: not forwarded.
     */
    statusChanges?: boolean | { target: aws.lambda.Function | pulumi.Input<string> };
}

export interface IteratorWorkflowArgs {
    steps: StepArgs[];
    /** `fail` (default): the execution stops at the failing step, state kept for redrive. `record`: the error is stored on the job and the loop goes on. */
    onJobError?: OnJobError;
    type?: WorkflowType;
    logging?: LoggingArgs;
    tracing?: boolean;
    /** The whole execution's timeout. */
    timeoutSeconds?: number;
    tags?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    limits?: WorkflowLimits;
    /**
     * Alarms on failed, timed-out, aborted and throttled executions (default on, notifying a topic the
     * component creates); `false` creates none.
     */
    alarms?: boolean | AlarmsArgs;
    /**
     * STANDARD only (default on): before an execution could reach the 25,000-event history limit, it
     * starts a new execution of this state machine with the unfinished jobs and waits for it, so the
     * first execution still returns every job. `{jobsPerExecution}` hands over after that many jobs.
     */
    handOver?: boolean | { jobsPerExecution: number };
    /**
     * `iterator` (default): the seed's pattern, jobs[0] and a MoveToEnd function. `map`: an inline Map
     * over `jobs` running the same steps, with no function of its own.
     */
    strategy?: "iterator" | "map";
    /** Map only: jobs processed at once, 1 to 40. Default 1: one after another, in order. */
    maxConcurrency?: number;
    /**
     * Iterator only: where lists of any size are read from and their results written back, for
     * executions started with `{"jobsFrom": {"bucket", "key"}}` instead of `{"jobs": [...]}`. Default:
     * a bucket the component creates (private, encrypted, no ACLs). `false`: jobs are taken inline only.
     */
    jobStore?: JobStoreArgs | false;
}

export interface JobStoreArgs {
    /** The bucket: an `aws.s3.Bucket` (or `BucketV2`) or a bucket's name. Default: one the component creates. */
    bucket?: aws.s3.Bucket | aws.s3.BucketV2 | pulumi.Input<string>;
    /** Jobs are read only from keys under this prefix. Default `input/`. */
    inputPrefix?: string;
    /** Results are written only under this prefix, then the run's name. Default `results/`. */
    resultsPrefix?: string;
    /**
     * Jobs held in the state at once. Default: as many as fit 80% of the payload limit when each is
     * `limits.maxJobBytes` (2,048 bytes when that is not declared), and no more than an execution
     * takes before it hands over.
     */
    windowJobs?: number;
}
