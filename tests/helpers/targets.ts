// Step targets the component must refuse at construction, each with the one line it must say, written
// by hand; shared by the validateArgs, component and stack config tests. All plain JSON, so each case
// can come from stack config as well as from code.

const PASS = { kind: "pass", name: "First", resultKey: "first", result: 1 };
const FUNCTION_SHAPE = "arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]";
const INTEGRATION_SHAPE = "arn:<partition>:states:::<service>:<api>[.sync|.sync:2|.waitForTaskToken] or arn:<partition>:states:::aws-sdk:<service>:<apiAction>[.waitForTaskToken]";

export interface TargetCase {
    what: string;
    args: { steps: object[]; type?: string };
    /** The expected ArgsError message: `field: problem`. */
    message: string;
}

const lambda = (fn: unknown) => ({ steps: [{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: fn }] });
const activity = (arn: unknown) => ({ steps: [{ kind: "activity", name: "Review", resultKey: "review", activity: arn }] });
const task = (resource: unknown) => ({ steps: [{ kind: "task", name: "Encode", resultKey: "encoded", resource }] });

export const BAD_TARGETS: TargetCase[] = [
    {
        what: "a bare function name",
        args: lambda("transcribe"),
        message: `steps[0].function: must be a Lambda function ARN (${FUNCTION_SHAPE}); "transcribe" is not an ARN`,
    },
    {
        what: "an object that is not a function",
        args: lambda({ arn: "x" }),
        message: 'steps[0].function: must be an aws.lambda.Function, a Lambda function ARN or a pulumi Output of one, got {"arn":"x"}',
    },
    {
        what: "a number as function",
        args: lambda(12345),
        message: "steps[0].function: must be an aws.lambda.Function, a Lambda function ARN or a pulumi Output of one, got 12345",
    },
    {
        what: "an integration ARN as function",
        args: lambda("arn:aws:states:::lambda:invoke"),
        message: `steps[0].function: must be a Lambda function ARN (${FUNCTION_SHAPE}); "arn:aws:states:::lambda:invoke" is a Step Functions service integration ARN, which a task step runs`,
    },
    {
        what: "a function ARN in no AWS partition",
        args: lambda("arn:aws-mars:lambda:us-east-1:123456789012:function:transcribe"),
        message: `steps[0].function: must be a Lambda function ARN (${FUNCTION_SHAPE}); "arn:aws-mars:lambda:us-east-1:123456789012:function:transcribe" names the partition "aws-mars", which is not one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc`,
    },
    {
        what: "a function ARN with a bad qualifier",
        args: lambda("arn:aws:lambda:us-east-1:123456789012:function:transcribe:live:2"),
        message: `steps[0].function: must be a Lambda function ARN (${FUNCTION_SHAPE}); "arn:aws:lambda:us-east-1:123456789012:function:transcribe:live:2" is not a Lambda function, activity or Step Functions integration ARN`,
    },
    {
        what: "an activity that is not an ARN",
        args: activity("nope"),
        message: 'steps[0].activity: must be an activity ARN (arn:<partition>:states:<region>:<account>:activity:<name>); "nope" is not an ARN',
    },
    {
        what: "a state machine ARN as activity",
        args: activity("arn:aws:states:us-east-1:123456789012:stateMachine:review"),
        message: 'steps[0].activity: must be an activity ARN (arn:<partition>:states:<region>:<account>:activity:<name>); "arn:aws:states:us-east-1:123456789012:stateMachine:review" is not a Lambda function, activity or Step Functions integration ARN',
    },
    {
        what: "an object as activity",
        args: activity({ arn: "x" }),
        message: 'steps[0].activity: must be an aws.sfn.Activity, an activity ARN or a pulumi Output of one, got {"arn":"x"}',
    },
    {
        what: "a function ARN as a task's resource",
        args: task("arn:aws:lambda:us-east-1:123456789012:function:encode"),
        message: `steps[0].resource: must be a Step Functions service integration ARN (${INTEGRATION_SHAPE}); "arn:aws:lambda:us-east-1:123456789012:function:encode" is a Lambda function ARN, which a lambda step runs`,
    },
    {
        what: "an integration ARN with a region and account",
        args: task("arn:aws:states:us-east-1:123456789012:ecs:runTask"),
        message: `steps[0].resource: must be a Step Functions service integration ARN (${INTEGRATION_SHAPE}); "arn:aws:states:us-east-1:123456789012:ecs:runTask" is not a Lambda function, activity or Step Functions integration ARN`,
    },
    {
        what: "an AWS SDK integration asked to wait for a job",
        args: task("arn:aws:states:::aws-sdk:s3:getObject.sync"),
        message: `steps[0].resource: must be a Step Functions service integration ARN (${INTEGRATION_SHAPE}); "arn:aws:states:::aws-sdk:s3:getObject.sync" asks an AWS SDK integration to wait for a job (.sync), which only optimized integrations can`,
    },
    {
        what: "an object as a task's resource",
        args: task({ arn: "x" }),
        message: 'steps[0].resource: must be a Step Functions service integration ARN or a pulumi Output of one, got {"arn":"x"}',
    },
    {
        what: "an activity in an EXPRESS workflow",
        args: { type: "EXPRESS", steps: [PASS, { kind: "activity", name: "Review", resultKey: "review", activity: "arn:aws:states:us-east-1:123456789012:activity:review" }] },
        message: "steps[1].activity: EXPRESS workflows cannot run activities; use a STANDARD workflow, or a lambda or task step",
    },
    {
        what: "a .sync integration in an EXPRESS workflow",
        args: { type: "EXPRESS", steps: [PASS, { kind: "task", name: "Encode", resultKey: "encoded", resource: "arn:aws:states:::ecs:runTask.sync" }] },
        message: "steps[1].resource: EXPRESS workflows cannot wait for a job (.sync); use a STANDARD workflow, or the request-response integration arn:aws:states:::ecs:runTask",
    },
    {
        what: "a .sync:2 integration in an EXPRESS workflow",
        args: { type: "EXPRESS", steps: [PASS, { kind: "task", name: "Child", resultKey: "child", resource: "arn:aws:states:::states:startExecution.sync:2" }] },
        message: "steps[1].resource: EXPRESS workflows cannot wait for a job (.sync); use a STANDARD workflow, or the request-response integration arn:aws:states:::states:startExecution",
    },
    {
        what: "a .waitForTaskToken integration in an EXPRESS workflow",
        args: { type: "EXPRESS", steps: [PASS, { kind: "task", name: "Ask", resultKey: "answer", resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken" }] },
        message: "steps[1].resource: EXPRESS workflows cannot wait for a task token (.waitForTaskToken); use a STANDARD workflow",
    },
];

/** Targets AWS takes, each of which the component must accept. */
export const GOOD_TARGETS: { what: string; args: { steps: object[]; type?: string } }[] = [
    { what: "a function ARN", args: lambda("arn:aws:lambda:us-east-1:123456789012:function:transcribe") },
    { what: "a function ARN with an alias", args: lambda("arn:aws:lambda:us-east-1:123456789012:function:transcribe:live") },
    { what: "a function ARN with a version", args: lambda("arn:aws:lambda:us-east-1:123456789012:function:transcribe:7") },
    { what: "a function ARN with $LATEST", args: lambda("arn:aws:lambda:us-east-1:123456789012:function:transcribe:$LATEST") },
    { what: "a GovCloud function ARN", args: lambda("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:transcribe") },
    { what: "a China function ARN", args: lambda("arn:aws-cn:lambda:cn-north-1:123456789012:function:transcribe") },
    { what: "an activity ARN", args: activity("arn:aws:states:us-east-1:123456789012:activity:review.v2") },
    { what: "lambda:invoke", args: task("arn:aws:states:::lambda:invoke") },
    { what: "lambda:invoke.waitForTaskToken", args: task("arn:aws:states:::lambda:invoke.waitForTaskToken") },
    { what: "ecs:runTask.sync", args: task("arn:aws:states:::ecs:runTask.sync") },
    { what: "states:startExecution.sync:2", args: task("arn:aws:states:::states:startExecution.sync:2") },
    { what: "an AWS SDK integration", args: task("arn:aws:states:::aws-sdk:s3:getObject") },
    { what: "an AWS SDK integration waiting for a token", args: task("arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken") },
    { what: "an integration in the aws-cn partition", args: task("arn:aws-cn:states:::sns:publish") },
    { what: "a request-response integration in an EXPRESS workflow", args: { ...task("arn:aws:states:::ecs:runTask"), type: "EXPRESS" } },
    { what: "a lambda step in an EXPRESS workflow", args: { ...lambda("arn:aws:lambda:us-east-1:123456789012:function:transcribe"), type: "EXPRESS" } },
];
