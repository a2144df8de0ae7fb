// Realistic resolved steps for the pure builders, one of each kind.
import type { LambdaStepSpec, StepSpec } from "../../components/steps";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
export const MOVE_TO_END_ARN = fnArn("iterator-move-to-end");

export const PASS_STEPS: StepSpec[] = [
    { kind: "pass", name: "ProcessFirstPass", resultKey: "firstResult", result: "success" },
    { kind: "pass", name: "ProcessSecondPass", resultKey: "secondResult", result: "success" },
];

export const LAMBDA_STEP: LambdaStepSpec = { kind: "lambda", name: "Transcribe", resultKey: "transcript", functionArn: fnArn("transcribe"), timeoutSeconds: 60 };
export const ACTIVITY_STEP: StepSpec = {
    kind: "activity",
    name: "Review",
    resultKey: "review",
    activityArn: `arn:aws:states:${REGION}:${ACCOUNT}:activity:review`,
    heartbeatSeconds: 60,
    timeoutSeconds: 3600,
};
export const TASK_STEP: StepSpec = {
    kind: "task",
    name: "Encode",
    resultKey: "encoded",
    resource: "arn:aws:states:::ecs:runTask.sync",
    parameters: { Cluster: "encoders", TaskDefinition: "encode:3", "Overrides": { ContainerOverrides: [{ Name: "encode", "Command.$": "States.Array($.name)" }] } },
    resultSelector: { "exitCode.$": "$.Containers[0].ExitCode" },
};

/** The seed article's input without `done` flags, and the output it publishes (plus `done: true`). Written by hand. */
export const SEED_INPUT = { jobs: [{ name: "First job" }, { name: "Second job" }] };
export const SEED_OUTPUT = {
    jobs: [
        { name: "First job", firstResult: "success", secondResult: "success", done: true },
        { name: "Second job", firstResult: "success", secondResult: "success", done: true },
    ],
};
