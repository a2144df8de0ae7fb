// The ARNs a step may name as its target, told apart by shape: a Lambda function, an activity, or a
// Step Functions service integration. Pure string checks; nothing here needs Pulumi or AWS.

/** AWS's partitions, as the SDK's endpoint rules list them (aws-sdk-js-v3, util-endpoints partitions.json). */
export const PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"] as const;

/** How to write each kind of target, for messages. */
export const SHAPE = {
    function: "arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]",
    activity: "arn:<partition>:states:<region>:<account>:activity:<name>",
    integration: "arn:<partition>:states:::<service>:<api>[.sync|.sync:2|.waitForTaskToken] or arn:<partition>:states:::aws-sdk:<service>:<apiAction>[.waitForTaskToken]",
} as const;

export type TargetKind = keyof typeof SHAPE;

/** How an integration waits (developer guide, "Discover service integration patterns in Step Functions"). */
export type IntegrationPattern = "request-response" | "sync" | "waitForTaskToken";

export type Target =
    | { kind: "function"; arn: string }
    | { kind: "activity"; arn: string }
    | { kind: "integration"; arn: string; service: string; pattern: IntegrationPattern };

const REGION = /^[a-z]+(-[a-z]+)+-\d+$/;
const ACCOUNT = /^\d{12}$/;
// Lambda's FunctionName pattern (API reference, Invoke): letters, digits, - and _, up to 64; a
// qualifier is $LATEST, a version number or an alias name.
const FUNCTION = /^function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
// CreateActivity's name rules: 1-80 characters, none of whitespace, brackets, wildcards, the listed
// special characters or control characters.
const ACTIVITY = /^activity:[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
// Optimized integrations are `<service>:<api>` with a pattern suffix; AWS SDK integrations are
// `aws-sdk:<service>:<apiAction>` and support request-response and .waitForTaskToken, never .sync
// (developer guide, "Learning to use AWS service SDK integrations in Step Functions").
const OPTIMIZED = /^([a-z][a-z0-9-]*):([a-z][A-Za-z0-9]*)(\.sync(:2)?|\.waitForTaskToken)?$/;
const AWS_SDK = /^aws-sdk:([a-z][a-z0-9-]*):([a-z][A-Za-z0-9]*)(\.waitForTaskToken)?$/;

/** What the string names, or a sentence saying why it names nothing a step can run. */
export function parseTarget(text: string): Target | string {
    const parts = text.split(":");
    if (parts[0] !== "arn" || parts.length < 6) return "is not an ARN";
    const [, partition, service, region, account] = parts;
    const resource = parts.slice(5).join(":");
    if (!(PARTITIONS as readonly string[]).includes(partition)) return `names the partition "${partition}", which is not one of ${PARTITIONS.join(", ")}`;
    if (service === "lambda" && REGION.test(region) && ACCOUNT.test(account) && FUNCTION.test(resource)) return { kind: "function", arn: text };
    if (service !== "states") return "is not a Lambda function, activity or Step Functions integration ARN";
    if (REGION.test(region) && ACCOUNT.test(account) && ACTIVITY.test(resource)) return { kind: "activity", arn: text };
    if (region === "" && account === "") {
        const sdk = AWS_SDK.exec(resource);
        if (sdk) return { kind: "integration", arn: text, service: `aws-sdk:${sdk[1]}`, pattern: sdk[3] ? "waitForTaskToken" : "request-response" };
        if (resource.startsWith("aws-sdk:") && /\.sync(:\d+)?$/.test(resource)) return "asks an AWS SDK integration to wait for a job (.sync), which only optimized integrations can";
        const optimized = OPTIMIZED.exec(resource);
        if (optimized && optimized[1] !== "aws-sdk") {
            const suffix = optimized[3];
            return { kind: "integration", arn: text, service: optimized[1], pattern: suffix === undefined ? "request-response" : suffix === ".waitForTaskToken" ? "waitForTaskToken" : "sync" };
        }
    }
    return "is not a Lambda function, activity or Step Functions integration ARN";
}

const STEP_FOR: Record<TargetKind, string> = { function: "a lambda step", activity: "an activity step", integration: "a task step" };
const NAMED: Record<TargetKind, string> = { function: "a Lambda function ARN", activity: "an activity ARN", integration: "a Step Functions service integration ARN" };

/** Why `text` is not the `expected` kind of target, in one sentence; undefined when it is one. */
export function targetProblem(text: string, expected: TargetKind): string | undefined {
    const target = parseTarget(text);
    const must = `must be ${NAMED[expected]} (${SHAPE[expected]})`;
    if (typeof target === "string") return `${must}; ${JSON.stringify(text)} ${target}`;
    if (target.kind === expected) return undefined;
    return `${must}; ${JSON.stringify(text)} is ${NAMED[target.kind]}, which ${STEP_FOR[target.kind]} runs`;
}
