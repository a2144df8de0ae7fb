// Generated from components/integrations.ts by `npm run generate:policies`: do not edit this copy.
// Change components/integrations.ts and run that script; `npm test` fails while the two differ.
// What IAM a Step Functions Task state needs, read from its Resource and its parameters: one table that
// the component reads to grant it and the policy pack reads to check that it is granted. It imports
// nothing, so the pack carries a verbatim copy (npm run generate:policies).
//
// Each row follows the policy Step Functions' own console generates for that integration (developer
// guide, "IAM policies for ..." pages, cited per row), scoped to the exact resource the parameters
// name. When the parameters take the target from the state's input (a path or a JSONata expression),
// its ARN cannot be known before the run: the need says so, and nothing is granted for it. A wildcard
// appears only where AWS requires one, and the row says why.

/** Where ARNs built from names live: the state machine's own region and account. */
export interface ArnContext {
    region: string;
    account: string;
}

/** The resource an action needs, as far as the parameters tell. */
export type Target =
    /** Exact ARNs (or a pattern AWS requires, commented in its row). */
    | { kind: "arns"; arns: string[] }
    /** Chosen at run time, or not scoped by any ARN: the step has to declare the grant itself. */
    | { kind: "unknown"; key: string; why: string; shape: string }
    /** Written in the parameters but not what the API takes: AWS fails the call whatever is granted. */
    | { kind: "invalid"; key: string; problem: string };

export interface Need {
    actions: string[];
    target: Target;
}

export interface TaskGrants {
    /** The row's name, e.g. `sns:publish` or `aws-sdk:s3:getObject`. */
    integration: string;
    /** The AWS page the row follows. */
    docs: string;
    needs: Need[];
}

export type QueryLanguage = "JSONPath" | "JSONata";
type Pattern = "request-response" | "sync" | "waitForTaskToken";

/** A parameter as the state writes it: a fixed value, taken from the input at run time, or left out. */
type Field = { kind: "value"; value: unknown } | { kind: "dynamic"; key: string; expression: string } | { kind: "absent" };

interface Params {
    field(name: string): Field;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const JSONATA = /^\{%[\s\S]*%\}$/;

function params(args: unknown, language: QueryLanguage): Params {
    return {
        field(name) {
            if (language === "JSONata") {
                // Arguments may be one expression for the whole object: then every field is dynamic.
                if (typeof args === "string") return { kind: "dynamic", key: "Arguments", expression: args };
                const value = isObject(args) ? args[name] : undefined;
                if (value === undefined) return { kind: "absent" };
                return typeof value === "string" && JSONATA.test(value) ? { kind: "dynamic", key: name, expression: value } : { kind: "value", value };
            }
            if (!isObject(args)) return { kind: "absent" };
            if (`${name}.$` in args) return { kind: "dynamic", key: `${name}.$`, expression: String(args[`${name}.$`]) };
            return name in args ? { kind: "value", value: args[name] } : { kind: "absent" };
        },
    };
}

const arnOf = (partition: string, service: string, region: string, account: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;

/**
 * The target one parameter names, or undefined when the parameter is left out (the call then fails for
 * want of it, whatever IAM allows). `toArns` turns the fixed value into ARNs, or a sentence on why it cannot.
 */
function target(p: Params, key: string, shape: string, toArns: (value: string) => string[] | string): Target | undefined {
    const f = p.field(key);
    switch (f.kind) {
        case "absent":
            return undefined;
        case "dynamic":
            return { kind: "unknown", key: f.key, why: `${JSON.stringify(f.key)}: ${JSON.stringify(f.expression)} picks it at run time`, shape };
        case "value": {
            if (typeof f.value !== "string") return { kind: "invalid", key, problem: `must be ${shape}, got ${JSON.stringify(f.value)}` };
            const arns = toArns(f.value);
            return typeof arns === "string" ? { kind: "invalid", key, problem: arns } : { kind: "arns", arns };
        }
        default:
            return assertNever(f);
    }
}

function needs(actions: string[], t: Target | undefined): Need[] {
    return t === undefined ? [] : [{ actions, target: t }];
}

const fixed = (actions: string[], arns: string[]): Need => ({ actions, target: { kind: "arns", arns } });

/** The EventBridge rule Step Functions creates in the caller's account and region to learn when a `.sync` job ends. */
const managedRule = (partition: string, ctx: ArnContext, rule: string): Need =>
    fixed(["events:PutTargets", "events:PutRule", "events:DescribeRule"], [arnOf(partition, "events", ctx.region, ctx.account, `rule/${rule}`)]);

// --- Names and ARNs, one function per kind of resource ------------------------------------------

/** Parses `arn:partition:service:region:account:resource`; undefined when it is not one of `service`. */
function splitArn(text: string, service: string): { partition: string; region: string; account: string; resource: string } | undefined {
    const parts = text.split(":");
    if (parts.length < 6 || parts[0] !== "arn" || parts[2] !== service || parts[1] === "") return undefined;
    return { partition: parts[1], region: parts[3], account: parts[4], resource: parts.slice(5).join(":") };
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]+(-[a-z]+)+-\d+$/;

function topicArn(value: string): string[] | string {
    const arn = splitArn(value, "sns");
    if (!arn || !REGION.test(arn.region) || !ACCOUNT.test(arn.account) || !/^[\w-]{1,256}(\.fifo)?$/.test(arn.resource)) {
        return `must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>), got ${JSON.stringify(value)}`;
    }
    return [value];
}

/** TargetArn names a mobile platform endpoint: `arn:...:sns:region:account:endpoint/<platform>/<app>/<id>`. */
function endpointArn(value: string): string[] | string {
    const arn = splitArn(value, "sns");
    if (!arn || !arn.resource.startsWith("endpoint/")) return `must be an SNS endpoint ARN (arn:<partition>:sns:<region>:<account>:endpoint/...), got ${JSON.stringify(value)}`;
    return [value];
}

/**
 * SQS names a queue by URL: `https://sqs.<region>.amazonaws.com/<account>/<name>` (and the older
 * `https://<region>.queue.amazonaws.com/...`, `https://queue.amazonaws.com/...` for us-east-1, and
 * `.amazonaws.com.cn` in China); IAM by ARN, `arn:<partition>:sqs:<region>:<account>:<name>`.
 */
function queueArn(partition: string): (value: string) => string[] | string {
    return (value) => {
        const match = /^https:\/\/([a-z0-9.-]+)\/(\d{12})\/([\w-]{1,80}(\.fifo)?)\/?$/.exec(value);
        const host = match?.[1] ?? "";
        const region = host === "queue.amazonaws.com" ? "us-east-1" : (/(?:^|\.)([a-z]+(?:-[a-z]+)+-\d+)\./.exec(host)?.[1] ?? undefined);
        if (!match || region === undefined) return `must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>), got ${JSON.stringify(value)}`;
        return [arnOf(partition, "sqs", region, match[2], match[3])];
    };
}

/** DynamoDB takes a table's name or its ARN; an index is `table/<name>/index/<index>`. */
function tableArn(partition: string, ctx: ArnContext, index?: string): (value: string) => string[] | string {
    return (value) => {
        const arn = splitArn(value, "dynamodb");
        const table = arn ? arn.resource.replace(/^table\//, "") : value;
        const base = arn ? value : arnOf(partition, "dynamodb", ctx.region, ctx.account, `table/${value}`);
        if ((arn && !arn.resource.startsWith("table/")) || !/^[\w.-]{3,255}$/.test(table)) {
            return `must be a DynamoDB table name or ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>), got ${JSON.stringify(value)}`;
        }
        return [index === undefined ? base : `${base}/index/${index}`];
    };
}

/**
 * Lambda takes a function's name, its ARN or a partial ARN (`<account>:function:<name>`), each with an
 * optional `:<version or alias>`, or the qualifier apart (`Qualifier`). A grant holds only for the ARN
 * exactly as invoked: an unqualified ARN does not cover an alias or version, nor the reverse
 * (https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html), so it names that very form.
 */
function functionArn(partition: string, ctx: ArnContext, qualifier: unknown): (value: string) => string[] | string {
    return (value) => {
        const full = /^arn:([\w-]+):lambda:([a-z0-9-]+):(\d{12}):function:([\w-]{1,64})(?::(\$LATEST|[\w-]{1,128}))?$/.exec(value);
        const partial = /^(\d{12}):function:([\w-]{1,64})(?::(\$LATEST|[\w-]{1,128}))?$/.exec(value);
        const bare = /^([\w-]{1,64})(?::(\$LATEST|[\w-]{1,128}))?$/.exec(value);
        const found: [string, string, string, string | undefined] | undefined = full
            ? [full[2], full[3], full[4], full[5]]
            : partial
              ? [ctx.region, partial[1], partial[2], partial[3]]
              : bare
                ? [ctx.region, ctx.account, bare[1], bare[2]]
                : undefined;
        if (found === undefined) return `must be a Lambda function name, ARN or partial ARN (<account>:function:<name>), with an optional :<version or alias>, got ${JSON.stringify(value)}`;
        const [region, account, name, own] = found;
        const q = own ?? (typeof qualifier === "string" && qualifier !== "" ? qualifier : undefined);
        return [arnOf(full ? full[1] : partition, "lambda", region, account, `function:${name}${q === undefined ? "" : `:${q}`}`)];
    };
}

function stateMachineArn(value: string): string[] | string {
    const arn = splitArn(value, "states");
    if (!arn || !/^stateMachine:[^:]+(:[^:]+)?$/.test(arn.resource)) return `must be a state machine ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>), got ${JSON.stringify(value)}`;
    return [value];
}

/** The ARN pattern of every execution of a state machine: execution names are made at run time, hence the `*`. */
function executionsOf(machine: string): string {
    const arn = splitArn(machine, "states")!;
    const name = arn.resource.split(":")[1];
    return arnOf(arn.partition, "states", arn.region, arn.account, `execution:${name}:*`);
}

function executionArn(value: string): string[] | string {
    const arn = splitArn(value, "states");
    if (!arn || !/^execution:[^:]+:[^:]+$/.test(arn.resource)) return `must be an execution ARN (arn:<partition>:states:<region>:<account>:execution:<machine>:<name>), got ${JSON.stringify(value)}`;
    return [value];
}

/**
 * ECS takes a task definition as `family`, `family:revision` or its ARN. Without a revision RunTask
 * uses the latest ACTIVE one, which is known only when the task runs: then any revision of the family.
 */
function taskDefinitionArn(partition: string, ctx: ArnContext): (value: string) => string[] | string {
    return (value) => {
        const arn = splitArn(value, "ecs");
        const rest = arn ? arn.resource.replace(/^task-definition\//, "") : value;
        const match = /^([\w-]{1,255})(?::(\d+))?$/.exec(rest);
        if ((arn && !arn.resource.startsWith("task-definition/")) || !match) {
            return `must be an ECS task definition (family, family:revision or its ARN), got ${JSON.stringify(value)}`;
        }
        const [region, account] = arn ? [arn.region, arn.account] : [ctx.region, ctx.account];
        return [arnOf(arn ? arn.partition : partition, "ecs", region, account, `task-definition/${match[1]}:${match[2] ?? "*"}`)];
    };
}

function glueJobArn(partition: string, ctx: ArnContext): (value: string) => string[] | string {
    return (value) => {
        if (!/^[^\s:/]{1,255}$/.test(value)) return `must be a Glue job name, got ${JSON.stringify(value)}`;
        return [arnOf(partition, "glue", ctx.region, ctx.account, `job/${value}`)];
    };
}

/** Batch takes a job definition as `name`, `name:revision` or its ARN (no revision: the latest, hence any); a job queue by name or ARN. */
function batchArn(kind: "job-definition" | "job-queue", partition: string, ctx: ArnContext): (value: string) => string[] | string {
    return (value) => {
        const arn = splitArn(value, "batch");
        const rest = arn ? arn.resource.replace(new RegExp(`^${kind}/`), "") : value;
        const match = /^([\w-]{1,128})(?::(\d+))?$/.exec(rest);
        if ((arn && !arn.resource.startsWith(`${kind}/`)) || !match || (kind === "job-queue" && match[2] !== undefined)) {
            return `must be a Batch ${kind.replace("-", " ")} name or ARN, got ${JSON.stringify(value)}`;
        }
        const [region, account] = arn ? [arn.region, arn.account] : [ctx.region, ctx.account];
        const name = kind === "job-queue" ? match[1] : `${match[1]}:${match[2] ?? "*"}`;
        return [arnOf(arn ? arn.partition : partition, "batch", region, account, `${kind}/${name}`)];
    };
}

/** IAM reads `*`, `?` and `$` in a resource as wildcards or variables; `${*}`, `${?}` and `${$}` write them as themselves (IAM user guide, policy variables). */
const literal = (text: string) => text.replace(/[*?$]/g, (c) => `\${${c}}`);

function bucketArn(partition: string): (value: string) => string[] | string {
    return (value) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) ? [`arn:${partition}:s3:::${value}`] : `must be an S3 bucket name, got ${JSON.stringify(value)}`);
}

// --- The table ------------------------------------------------------------------------------

interface Row {
    docs: string;
    patterns: readonly Pattern[];
    needs(p: Params, partition: string, ctx: ArnContext, pattern: Pattern): Need[];
}

const REQUEST_AND_TOKEN: readonly Pattern[] = ["request-response", "waitForTaskToken"];
const ALL_PATTERNS: readonly Pattern[] = ["request-response", "sync", "waitForTaskToken"];

const SHAPE = {
    topic: "arn:<partition>:sns:<region>:<account>:<topic>",
    queue: "arn:<partition>:sqs:<region>:<account>:<queue>",
    table: "arn:<partition>:dynamodb:<region>:<account>:table/<table>",
    function: "arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]",
    stateMachine: "arn:<partition>:states:<region>:<account>:stateMachine:<name>",
    executions: "arn:<partition>:states:<region>:<account>:execution:<machine>:*",
    execution: "arn:<partition>:states:<region>:<account>:execution:<machine>:<name>",
    taskDefinition: "arn:<partition>:ecs:<region>:<account>:task-definition/<family>:<revision>",
    glueJob: "arn:<partition>:glue:<region>:<account>:job/<name>",
    jobDefinition: "arn:<partition>:batch:<region>:<account>:job-definition/<name>:<revision>",
    jobQueue: "arn:<partition>:batch:<region>:<account>:job-queue/<name>",
    object: "arn:<partition>:s3:::<bucket>/<key>",
    bucket: "arn:<partition>:s3:::<bucket>",
} as const;

function invokeNeeds(p: Params, partition: string, ctx: ArnContext): Need[] {
    const qualifier = p.field("Qualifier");
    // A qualifier chosen at run time makes the invoked ARN unknown, whatever FunctionName says.
    if (qualifier.kind === "dynamic" && p.field("FunctionName").kind !== "absent") {
        return needs(["lambda:InvokeFunction"], { kind: "unknown", key: qualifier.key, why: `${JSON.stringify(qualifier.key)}: ${JSON.stringify(qualifier.expression)} picks the version or alias at run time`, shape: SHAPE.function });
    }
    return needs(["lambda:InvokeFunction"], target(p, "FunctionName", SHAPE.function, functionArn(partition, ctx, qualifier.kind === "value" ? qualifier.value : undefined)));
}

const dynamoItem = (action: string): Row => ({
    // https://docs.aws.amazon.com/step-functions/latest/dg/dynamo-iam.html
    docs: "https://docs.aws.amazon.com/step-functions/latest/dg/dynamo-iam.html",
    patterns: ["request-response"],
    needs: (p, partition, ctx) => needs([`dynamodb:${action}`], target(p, "TableName", SHAPE.table, tableArn(partition, ctx))),
});

/** Optimized integrations: `arn:<partition>:states:::<service>:<api>[.sync|.sync:2|.waitForTaskToken]`. */
const OPTIMIZED: Record<string, Row> = {
    // https://docs.aws.amazon.com/step-functions/latest/dg/sns-iam.html
    "sns:publish": {
        docs: "https://docs.aws.amazon.com/step-functions/latest/dg/sns-iam.html",
        patterns: REQUEST_AND_TOKEN,
        needs: (p) => {
            const topic = target(p, "TopicArn", SHAPE.topic, topicArn) ?? target(p, "TargetArn", "arn:<partition>:sns:<region>:<account>:endpoint/...", endpointArn);
            if (topic !== undefined) return needs(["sns:Publish"], topic);
            // SMS to a phone number is scoped by no ARN: AWS's policy for it is Resource "*", which the component does not guess.
            const phone = p.field("PhoneNumber");
            return phone.kind === "absent" ? [] : needs(["sns:Publish"], { kind: "unknown", key: "PhoneNumber", why: '"PhoneNumber" sends an SMS, which IAM scopes to no ARN', shape: "*" });
        },
    },
    // https://docs.aws.amazon.com/step-functions/latest/dg/sqs-iam.html
    "sqs:sendMessage": {
        docs: "https://docs.aws.amazon.com/step-functions/latest/dg/sqs-iam.html",
        patterns: REQUEST_AND_TOKEN,
        needs: (p, partition) => needs(["sqs:SendMessage"], target(p, "QueueUrl", SHAPE.queue, queueArn(partition))),
    },
    "dynamodb:getItem": dynamoItem("GetItem"),
    "dynamodb:putItem": dynamoItem("PutItem"),
    "dynamodb:updateItem": dynamoItem("UpdateItem"),
    "dynamodb:deleteItem": dynamoItem("DeleteItem"),
    // https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html
    "lambda:invoke": {
        docs: "https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html",
        patterns: REQUEST_AND_TOKEN,
        needs: (p, partition, ctx) => invokeNeeds(p, partition, ctx),
    },
    // https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html (.sync and .sync:2 need the same)
    "states:startExecution": {
        docs: "https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html",
        patterns: ALL_PATTERNS,
        needs: (p, partition, ctx, pattern) => {
            const machine = target(p, "StateMachineArn", SHAPE.stateMachine, stateMachineArn);
            const result = needs(["states:StartExecution"], machine);
            if (pattern !== "sync") return result;
            const executions: Target | undefined = machine?.kind === "arns" ? { kind: "arns", arns: machine.arns.map(executionsOf) } : machine?.kind === "unknown" ? { ...machine, shape: SHAPE.executions } : undefined;
            return [...result, ...needs(["states:DescribeExecution", "states:StopExecution"], executions), managedRule(partition, ctx, "StepFunctionsGetEventsForStepFunctionsExecutionRule")];
        },
    },
    // https://docs.aws.amazon.com/step-functions/latest/dg/ecs-iam.html
    "ecs:runTask": {
        docs: "https://docs.aws.amazon.com/step-functions/latest/dg/ecs-iam.html",
        patterns: ALL_PATTERNS,
        needs: (p, partition, ctx, pattern) => {
            const result = needs(["ecs:RunTask"], target(p, "TaskDefinition", SHAPE.taskDefinition, taskDefinitionArn(partition, ctx)));
            if (pattern !== "sync") return result;
            // The task's ARN exists only once RunTask returns: AWS's policy grants these on "*" (and Step
            // Functions stops only tasks it started). A task with a task or execution role also needs
            // iam:PassRole on it, which the task definition's name does not tell: declare it.
            return [...result, fixed(["ecs:StopTask", "ecs:DescribeTasks"], ["*"]), managedRule(partition, ctx, "StepFunctionsGetEventsForECSTaskRule")];
        },
    },
    // https://docs.aws.amazon.com/step-functions/latest/dg/glue-iam.html shows Resource "*"; Glue scopes
    // these actions to a job's ARN (https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html).
    "glue:startJobRun": {
        docs: "https://docs.aws.amazon.com/step-functions/latest/dg/glue-iam.html",
        patterns: ["request-response", "sync"],
        needs: (p, partition, ctx, pattern) =>
            needs(pattern === "sync" ? ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"] : ["glue:StartJobRun"], target(p, "JobName", SHAPE.glueJob, glueJobArn(partition, ctx))),
    },
    // https://docs.aws.amazon.com/step-functions/latest/dg/batch-iam.html
    "batch:submitJob": {
        docs: "https://docs.aws.amazon.com/step-functions/latest/dg/batch-iam.html",
        patterns: ["request-response", "sync"],
        needs: (p, partition, ctx, pattern) => {
            const result = [
                ...needs(["batch:SubmitJob"], target(p, "JobDefinition", SHAPE.jobDefinition, batchArn("job-definition", partition, ctx))),
                ...needs(["batch:SubmitJob"], target(p, "JobQueue", SHAPE.jobQueue, batchArn("job-queue", partition, ctx))),
            ];
            if (pattern !== "sync") return result;
            // Job IDs are made when the job is submitted, and DescribeJobs takes no resource: AWS requires "*".
            return [...result, fixed(["batch:DescribeJobs", "batch:TerminateJob"], ["*"]), managedRule(partition, ctx, "StepFunctionsGetEventsForBatchJobsRule")];
        },
    },
};

/**
 * AWS SDK integrations whose IAM action and resource are known: `arn:<partition>:states:::aws-sdk:<service>:<action>`.
 * The action is the API's own name except where noted (Service Authorization Reference); the resource
 * comes from the parameter that names it.
 */
type SdkRow = (p: Params, partition: string, ctx: ArnContext) => Need[];

const s3Object =
    (action: string): SdkRow =>
    (p, partition) => {
        const bucket = p.field("Bucket");
        const key = p.field("Key");
        if (bucket.kind === "absent" || key.kind === "absent") return [];
        for (const [name, f] of [["Bucket", bucket], ["Key", key]] as const) {
            if (f.kind === "dynamic") return needs([action], { kind: "unknown", key: f.key, why: `${JSON.stringify(f.key)}: ${JSON.stringify(f.expression)} picks the ${name === "Bucket" ? "bucket" : "object"} at run time`, shape: SHAPE.object });
        }
        const b = bucketArn(partition)(String((bucket as { value: unknown }).value));
        if (typeof b === "string") return needs([action], { kind: "invalid", key: "Bucket", problem: b });
        const k = (key as { value: unknown }).value;
        if (typeof k !== "string" || k === "") return needs([action], { kind: "invalid", key: "Key", problem: `must be an object key, got ${JSON.stringify(k)}` });
        return needs([action], { kind: "arns", arns: [`${b[0]}/${literal(k)}`] });
    };

const dynamoTable =
    (action: string): SdkRow =>
    (p, partition, ctx) => {
        const index = p.field("IndexName");
        if (index.kind === "dynamic") return needs([action], { kind: "unknown", key: index.key, why: `${JSON.stringify(index.key)}: ${JSON.stringify(index.expression)} picks the index at run time`, shape: `${SHAPE.table}/index/<index>` });
        return needs([action], target(p, "TableName", SHAPE.table, tableArn(partition, ctx, index.kind === "value" ? String(index.value) : undefined)));
    };

const sdk = (service: string, action: string, key: string, shape: string, toArns: (partition: string, ctx: ArnContext) => (value: string) => string[] | string): SdkRow => (p, partition, ctx) => needs([`${service}:${action}`], target(p, key, shape, toArns(partition, ctx)));

const SDK: Record<string, SdkRow> = {
    "s3:getObject": s3Object("s3:GetObject"),
    "s3:putObject": s3Object("s3:PutObject"),
    "s3:deleteObject": s3Object("s3:DeleteObject"),
    // HeadObject is authorized as s3:GetObject.
    "s3:headObject": s3Object("s3:GetObject"),
    // ListObjectsV2 is authorized as s3:ListBucket, on the bucket.
    "s3:listObjectsV2": sdk("s3", "ListBucket", "Bucket", SHAPE.bucket, (partition) => bucketArn(partition)),
    "dynamodb:getItem": dynamoTable("dynamodb:GetItem"),
    "dynamodb:putItem": dynamoTable("dynamodb:PutItem"),
    "dynamodb:updateItem": dynamoTable("dynamodb:UpdateItem"),
    "dynamodb:deleteItem": dynamoTable("dynamodb:DeleteItem"),
    "dynamodb:query": dynamoTable("dynamodb:Query"),
    "dynamodb:scan": dynamoTable("dynamodb:Scan"),
    "sqs:sendMessage": sdk("sqs", "SendMessage", "QueueUrl", SHAPE.queue, (partition) => queueArn(partition)),
    "sns:publish": sdk("sns", "Publish", "TopicArn", SHAPE.topic, () => topicArn),
    "lambda:invoke": invokeNeeds,
    "sfn:startExecution": sdk("states", "StartExecution", "StateMachineArn", SHAPE.stateMachine, () => stateMachineArn),
    "sfn:startSyncExecution": sdk("states", "StartSyncExecution", "StateMachineArn", SHAPE.stateMachine, () => stateMachineArn),
    "sfn:describeExecution": sdk("states", "DescribeExecution", "ExecutionArn", SHAPE.execution, () => executionArn),
    "sfn:stopExecution": sdk("states", "StopExecution", "ExecutionArn", SHAPE.execution, () => executionArn),
    "sfn:redriveExecution": sdk("states", "RedriveExecution", "ExecutionArn", SHAPE.execution, () => executionArn),
    "sfn:getExecutionHistory": sdk("states", "GetExecutionHistory", "ExecutionArn", SHAPE.execution, () => executionArn),
};

/** SDK service names whose IAM prefix differs (as CDK's CallAwsService maps them). */
const IAM_PREFIX: Record<string, string> = { sfn: "states", cloudwatchlogs: "logs", eventbridge: "events" };

/** The IAM action an AWS SDK integration most likely needs: the API's name under the service's prefix. Most APIs are authorized so; some are not. */
export function sdkAction(service: string, action: string): string {
    return `${IAM_PREFIX[service] ?? service}:${action.charAt(0).toUpperCase()}${action.slice(1)}`;
}

const SDK_DOCS = "https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html";

const OPTIMIZED_RESOURCE = /^arn:([\w-]+):states:::([a-z][a-z0-9-]*):([a-zA-Z][A-Za-z0-9]*)(\.sync(?::2)?|\.waitForTaskToken)?$/;
const SDK_RESOURCE = /^arn:([\w-]+):states:::aws-sdk:([a-z][a-z0-9-]*):([a-zA-Z][A-Za-z0-9]*)(\.waitForTaskToken)?$/;
const FUNCTION_RESOURCE = /^arn:([\w-]+):lambda:[a-z0-9-]+:\d{12}:function:[\w-]{1,64}(:(\$LATEST|[\w-]{1,128}))?$/;

/**
 * What a Task state with this Resource and these parameters (Parameters in JSONPath, Arguments in
 * JSONata) needs, or undefined for an integration this table does not know (then nothing is granted
 * and nothing is checked: the step declares what it needs).
 *
 * An AWS SDK integration outside the table still gets its likely action (`sdkAction`), with a target
 * the step has to declare; the action name is a guess, so `guessedAction` marks it.
 */
export function taskGrants(resource: string, parameters: unknown, ctx: ArnContext, language: QueryLanguage = "JSONPath"): (TaskGrants & { guessedAction?: boolean }) | undefined {
    const p = params(parameters, language);
    if (FUNCTION_RESOURCE.test(resource)) {
        // A function ARN as Resource: Step Functions invokes it directly.
        return { integration: "lambda function", docs: "https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html", needs: [fixed(["lambda:InvokeFunction"], [resource])] };
    }
    const sdkMatch = SDK_RESOURCE.exec(resource);
    if (sdkMatch) {
        const [, partition, service, action] = sdkMatch;
        const row = SDK[`${service}:${action}`];
        const integration = `aws-sdk:${service}:${action}`;
        if (row) return { integration, docs: SDK_DOCS, needs: row(p, partition, ctx) };
        return {
            integration,
            docs: SDK_DOCS,
            guessedAction: true,
            needs: [{ actions: [sdkAction(service, action)], target: { kind: "unknown", key: "Parameters", why: `the table does not know which resource ${integration} acts on`, shape: "<the resources it acts on>" } }],
        };
    }
    const match = OPTIMIZED_RESOURCE.exec(resource);
    if (!match || match[2] === "aws-sdk") return undefined;
    const [, partition, service, api, suffix] = match;
    const pattern: Pattern = suffix === undefined ? "request-response" : suffix === ".waitForTaskToken" ? "waitForTaskToken" : "sync";
    const row = OPTIMIZED[`${service}:${api}`];
    if (!row || !row.patterns.includes(pattern)) return undefined;
    return { integration: `${service}:${api}`, docs: row.docs, needs: row.needs(p, partition, ctx, pattern) };
}

/** The integrations the table knows, by name, for documentation and tests. */
export const KNOWN_INTEGRATIONS: readonly string[] = [...Object.keys(OPTIMIZED), ...Object.keys(SDK).map((k) => `aws-sdk:${k}`)];

/** An IAM statement as the state machine role's policy holds it. */
export interface GrantStatement {
    Effect: "Allow";
    Action: string | string[];
    Resource: string | string[];
}

const one = (list: string[]): string | string[] => (list.length === 1 ? list[0] : list);

/** The statements that grant every need with exact ARNs, once each, in the order the tasks come. */
export function grantStatements(tasks: { resource: string; parameters?: unknown }[], ctx: ArnContext): GrantStatement[] {
    const seen = new Set<string>();
    const statements: GrantStatement[] = [];
    for (const task of tasks) {
        for (const need of taskGrants(task.resource, task.parameters, ctx)?.needs ?? []) {
            if (need.target.kind !== "arns") continue;
            const statement: GrantStatement = { Effect: "Allow", Action: one(need.actions), Resource: one(need.target.arns) };
            const key = JSON.stringify(statement);
            if (seen.has(key)) continue;
            seen.add(key);
            statements.push(statement);
        }
    }
    return statements;
}

function assertNever(value: never): never {
    throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
