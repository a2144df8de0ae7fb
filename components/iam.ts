// IAM documents as pure functions of resolved ARNs, so tests can compare them whole.
export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action: string | string[];
    Resource: string | string[];
    Condition?: { [operator: string]: { [key: string]: string | string[] } };
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

export interface TrustStatement {
    Effect: "Allow";
    Principal: { Service: string };
    Action: "sts:AssumeRole";
    Condition?: Statement["Condition"];
}

export function assumeRolePolicy(service: string, sourceAccount?: string): { Version: "2012-10-17"; Statement: TrustStatement[] } {
    const statement: TrustStatement = { Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" };
    // Guards against the confused deputy: only this account's state machines may assume the role.
    if (sourceAccount !== undefined) statement.Condition = { StringEquals: { "aws:SourceAccount": sourceAccount } };
    return { Version: "2012-10-17", Statement: [statement] };
}

/** Where MoveToEnd reads jobs by reference and writes their results: a bucket's ARN and two key prefixes. */
export interface StoreGrant {
    bucketArn: string;
    inputPrefix: string;
    resultsPrefix: string;
}

/**
 * The MoveToEnd function writes its logs and, with a job store, reads objects under the input prefix
 * and writes objects under the results prefix: nothing else, not even a listing.
 */
export function functionPolicy(logGroupArn: string, store?: StoreGrant): PolicyDocument {
    const statements: Statement[] = [{ Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` }];
    if (store !== undefined) {
        statements.push({ Sid: "ReadJobs", Effect: "Allow", Action: "s3:GetObject", Resource: `${store.bucketArn}/${store.inputPrefix}*` });
        statements.push({ Sid: "WriteResults", Effect: "Allow", Action: "s3:PutObject", Resource: `${store.bucketArn}/${store.resultsPrefix}*` });
    }
    return { Version: "2012-10-17", Statement: statements };
}

export interface StateMachinePolicyInput {
    /** Every function the definition invokes, exact ARNs. */
    functionArns: string[];
    /** What `task` steps declared they need. */
    taskStatements: Statement[];
    logging: boolean;
    tracing: boolean;
}

export function stateMachinePolicy(input: StateMachinePolicyInput): PolicyDocument {
    const statements: Statement[] = [...input.taskStatements];
    if (input.functionArns.length > 0) {
        statements.unshift({ Sid: "InvokeStepFunctions", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [...new Set(input.functionArns)].sort() });
    }
    if (input.logging) {
        // Step Functions' log delivery calls are not resource-scoped: AWS documents Resource "*" for them
        // (developer guide, "IAM policies for logging to CloudWatch Logs").
        statements.push({
            Sid: "DeliverLogs",
            Effect: "Allow",
            Action: [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            Resource: "*",
        });
    }
    if (input.tracing) {
        // X-Ray's trace and sampling APIs take no resource ARN; AWS requires Resource "*".
        statements.push({
            Sid: "WriteTraces",
            Effect: "Allow",
            Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
            Resource: "*",
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * What a hand-over needs (developer guide, "IAM policies for nested executions"): start this state
 * machine, follow and stop the executions it starts, and the EventBridge rule Step Functions manages
 * to learn when a `.sync` execution ends; and, to find an execution it started again after a retry or
 * a redrive, redrive it and read its last history event. All are derived from the state machine's own ARN.
 */
export function handOverPolicy(stateMachineArn: string): PolicyDocument {
    const [arn, partition, service, region, account, kind, name] = String(stateMachineArn).split(":");
    if (arn !== "arn" || service !== "states" || kind !== "stateMachine" || !name) {
        // Only a mock engine returns anything else: say what its newResource must give.
        throw new Error(
            `the state machine's arn is ${JSON.stringify(stateMachineArn)}, not a state machine ARN; the hand-over grant is made from it (under pulumi.runtime.setMocks, return arn:aws:states:REGION:ACCOUNT:stateMachine:NAME for aws:sfn/stateMachine:StateMachine)`,
        );
    }
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "StartNextExecution", Effect: "Allow", Action: "states:StartExecution", Resource: stateMachineArn },
            {
                Sid: "FollowNextExecution",
                Effect: "Allow",
                Action: ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution", "states:GetExecutionHistory"],
                Resource: `arn:${partition}:states:${region}:${account}:execution:${name}:*`,
            },
            {
                Sid: "ManagedRuleForSync",
                Effect: "Allow",
                Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                Resource: `arn:${partition}:events:${region}:${account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
            },
        ],
    };
}
