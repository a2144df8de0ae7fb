// The component's public argument types: what a user writes, where ARNs may still be Pulumi Inputs.
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { Json, Retrier } from "./steps";

export type { Json, Retrier } from "./steps";

/** An IAM policy statement the state machine's role gets, as IAM takes it (Effect defaults to Allow). */
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
    /** The value stored on every job: any JSON but null (AWS gives no sure reading of a null Result). */
    result: Json;
}

/** Invokes a Lambda function with the job as payload and stores what it returns. */
export interface LambdaStepArgs extends StepArgsBase {
    kind: "lambda";
    /** The function: an `aws.lambda.Function`, or a function ARN (with a version or alias if you like). The role may invoke exactly it. */
    function: aws.lambda.Function | pulumi.Input<string>;
    /** ASL retriers. Default: AWS's transient Lambda errors, 3 attempts from 1 s, doubling, with jitter. `[]` retries nothing. */
    retry?: Retrier[];
    /** Seconds the function may take before the step fails with States.Timeout. Default: AWS's (99,999,999). */
    timeoutSeconds?: number;
    /** The largest result the function returns, in bytes of JSON: what the payload budget counts for it. Default 256. */
    maxResultBytes?: number;
}

/** Hands the job to an activity worker and stores its output. STANDARD workflows only. */
export interface ActivityStepArgs extends StepArgsBase {
    kind: "activity";
    /** The activity: an `aws.sfn.Activity`, or an activity ARN. */
    activity: aws.sfn.Activity | pulumi.Input<string>;
    /** Seconds between the worker's heartbeats before the step fails with States.HeartbeatTimeout. Default: none. */
    heartbeatSeconds?: number;
    /** Seconds the worker may take before the step fails with States.Timeout. Default: AWS's (99,999,999). */
    timeoutSeconds?: number;
    /** The largest output the worker sends, in bytes of JSON. Default 256. */
    maxResultBytes?: number;
}

/** Any other service integration, e.g. `arn:aws:states:::sns:publish`, with the IAM it needs. */
export interface TaskStepArgs extends StepArgsBase {
    kind: "task";
    /** The integration's ARN, `arn:<partition>:states:::<service>:<api>[.sync|.sync:2|.waitForTaskToken]` or `...:::aws-sdk:<service>:<action>`. */
    resource: pulumi.Input<string>;
    /** ASL Parameters; their paths read the job (the task's input is jobs[0]). */
    parameters?: pulumi.Input<{ [key: string]: pulumi.Input<Json> }>;
    /** ASL ResultSelector: what of the task's result to keep. Default: all of it. */
    resultSelector?: { [key: string]: Json };
    /**
     * Extra statements for the state machine's role. The grants of the integrations the component knows
     * (SNS, SQS, DynamoDB, Lambda, Step Functions, ECS, Glue, Batch, S3 objects) are added for you when
     * their targets are literal; a target chosen at run time (`"TopicArn.$"`) needs its statement here.
     */
    policyStatements?: PolicyStatement[];
    /** ASL retriers. Default: none. */
    retry?: Retrier[];
    /** Seconds the task may take before the step fails with States.Timeout. Default: AWS's (99,999,999). */
    timeoutSeconds?: number;
    /** Seconds between heartbeats (`.waitForTaskToken`). Default: none. */
    heartbeatSeconds?: number;
    /** The largest result kept, in bytes of JSON. Default 256. */
    maxResultBytes?: number;
}

export type StepArgs = PassStepArgs | LambdaStepArgs | ActivityStepArgs | TaskStepArgs;

/** `fail`: the execution stops at the failing step; `record`: the error is kept on the job and the loop goes on. */
export type OnJobError = "fail" | "record";
/** Step Functions' workflow types: STANDARD (up to a year, exactly once, history) or EXPRESS (up to 5 minutes). */
export type WorkflowType = "STANDARD" | "EXPRESS";
/** What the state machine logs to CloudWatch Logs. */
export type LogLevel = "ALL" | "ERROR" | "FATAL" | "OFF";

export interface LoggingArgs {
    /** Default `ERROR`; `OFF` creates no log group. */
    level?: LogLevel;
    /** Default false: job data stays out of the logs. */
    includeExecutionData?: boolean;
    /** Days CloudWatch keeps the logs, one of its retention periods. Default 30. */
    retentionInDays?: number;
}

/** The largest list the workflow should take: what the policy pack's budgets check. */
export interface WorkflowLimits {
    /** The longest list of jobs passed inline to one execution. */
    maxJobs?: number;
    /** The largest job, in bytes of JSON, before any step has run: inline, or a line read by reference. */
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

/** What an IteratorWorkflow runs, and how. Only `steps` is required. */
export interface IteratorWorkflowArgs {
    /** The steps every job goes through, in order; each stores its result on the job under its `resultKey`. */
    steps: StepArgs[];
    /**
     * `fail` (default): the execution stops at the failing step, its state kept for a redrive or a new
     * execution. `record`: the error's name and the start of its cause are kept on the job as `error`,
     * and the loop goes on.
     */
    onJobError?: OnJobError;
    /** Default STANDARD. EXPRESS runs at most 5 minutes, never hands over, and cannot run activities or `.sync` integrations. */
    type?: WorkflowType;
    /** Default: errors only, without job data, kept 30 days. */
    logging?: LoggingArgs;
    /** AWS X-Ray tracing of executions. Default false. */
    tracing?: boolean;
    /** Seconds an execution may run before it fails with States.Timeout. Default: none (AWS's limit: a year for STANDARD). */
    timeoutSeconds?: number;
    /** Tags for every resource the component creates. Keys starting with `iterator-workflow:` are the component's own. */
    tags?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /** The largest list you expect. Without it, the policy pack cannot check the payload budget of inline lists. */
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
