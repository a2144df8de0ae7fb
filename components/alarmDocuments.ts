// What the workflow's alarms watch, and the policies around the topic they notify, as plain data: the
// component builds its resources from these, and `npm start` can tell from EXECUTION_ALARMS which
// alarm a failed local run would have set off.

/** Step Functions' execution metrics (namespace AWS/States, dimension StateMachineArn): https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html */
export const EXECUTION_ALARMS = [
    { key: "failed", metricName: "ExecutionsFailed", status: "FAILED", what: "executions failed" },
    { key: "timed-out", metricName: "ExecutionsTimedOut", status: "TIMED_OUT", what: "executions timed out" },
    { key: "aborted", metricName: "ExecutionsAborted", status: "ABORTED", what: "executions were stopped (aborted)" },
    // StateEntered events and retries Step Functions throttled: executions slowed down, not ended.
    { key: "throttled", metricName: "ExecutionThrottled", status: undefined, what: "state transitions were throttled" },
] as const;

export type ExecutionAlarm = (typeof EXECUTION_ALARMS)[number];

/** The execution statuses the status-change rule forwards. */
export const FORWARDED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/** The alarm an execution that ended with this status counts towards (FAILED, TIMED_OUT, ABORTED); none for SUCCEEDED. */
export function alarmForStatus(status: string): ExecutionAlarm | undefined {
    return EXECUTION_ALARMS.find((a) => a.status === status);
}

/** Every alarm's settings but its dimension and actions: one breach of one period is enough. */
export const ALARM_SETTINGS = {
    namespace: "AWS/States",
    statistic: "Sum",
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    // No executions, no data points: that is not a failure.
    treatMissingData: "notBreaching",
} as const;

export const DEFAULT_PERIOD_SECONDS = 60;

/**
 * EventBridge's pattern for this state machine's executions that ended badly. Step Functions sends
 * "Step Functions Execution Status Change" events for Standard workflows only
 * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html).
 */
export function statusChangePattern(stateMachineArn: string): object {
    return {
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: { status: [...FORWARDED_STATUSES], stateMachineArn: [stateMachineArn] },
    };
}

interface Doc {
    Version: "2012-10-17";
    Statement: object[];
}

/**
 * The policy of the key the created topic is encrypted with. CloudWatch alarms and EventBridge can
 * publish to an encrypted topic only if its key is a customer managed one whose policy lets them use
 * it; the AWS managed key alias/aws/sns cannot be edited to, and notifications through it are lost
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * In a key policy, Resource "*" means this key.
 */
export function topicKeyPolicy(partition: string, account: string, events: boolean): Doc {
    const use = (sid: string, service: string) => ({ Sid: sid, Effect: "Allow", Principal: { Service: service }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" });
    return {
        Version: "2012-10-17",
        Statement: [
            // KMS's default key policy: lets the account's IAM policies manage and use the key; without it
            // the key could become unmanageable (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
            { Sid: "AccountManagesKey", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
            // As AWS documents it, without conditions: a condition the service's KMS request does not
            // carry would drop every notification, silently.
            use("CloudWatchAlarmsEncrypt", "cloudwatch.amazonaws.com"),
            ...(events ? [use("EventBridgeEncrypts", "events.amazonaws.com")] : []),
        ],
    };
}

/** SNS's own default for a topic's owner (what a new topic's policy allows its account). */
const OWNER_ACTIONS = [
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
];

/**
 * The created topic's policy, which replaces SNS's default: its account as owner, and as publishers
 * exactly these alarms and the status-change rule, each held to its own ARN and account by
 * aws:SourceArn / aws:SourceAccount against the confused deputy
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html).
 */
export function topicPolicy(topicArn: string, account: string, partition: string, alarmArns: string[], ruleArn?: string): Doc {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AccountOwnsTopic", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: OWNER_ACTIONS, Resource: topicArn },
            {
                Sid: "WorkflowAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { ArnLike: { "aws:SourceArn": [...alarmArns].sort() }, StringEquals: { "aws:SourceAccount": account } },
            },
            ...(ruleArn === undefined
                ? []
                : [{ Sid: "StatusChangesPublish", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: topicArn, Condition: { ArnEquals: { "aws:SourceArn": ruleArn } } }]),
        ],
    };
}
