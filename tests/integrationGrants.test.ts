// What the state machine role is granted for each integration a task step calls, under Pulumi's mock
// engine (region us-east-1 and account 123456789012, as the mocks answer getRegion and
// getCallerIdentity), each expected policy written by hand from AWS's "IAM policies for ..." pages.
import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IteratorWorkflow } from "../components/iteratorWorkflow";
import { grantStatements, KNOWN_INTEGRATIONS, taskGrants } from "../components/integrations";
import type { IteratorWorkflowArgs, TaskStepArgs } from "../components/types";
import { ArgsError, validateArgs } from "../components/validate";
import { ACCOUNT, synthesize, type Synthesis } from "../local/synth";
import { rejection } from "./helpers/errors";

const R = "us-east-1";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** One task step in a workflow that needs no other permission (map strategy, no logs, no alarms): its role policy is the step's grants alone. */
const only = (step: Partial<TaskStepArgs>, more: Partial<IteratorWorkflowArgs> = {}) =>
    synthesize({}, "test", async () => {
        const workflow = new IteratorWorkflow("iterator", {
            strategy: "map",
            logging: { level: "OFF" },
            alarms: false,
            steps: [{ kind: "task", name: "Call", resultKey: "out", resource: "", ...step } as TaskStepArgs],
            ...more,
        });
        return { arn: workflow.stateMachineArn };
    });

function statementsOf(synth: Synthesis): unknown[] | undefined {
    const policies = synth.resources.filter((r) => r.type === ROLE_POLICY && r.name === "iterator-states");
    if (policies.length === 0) return undefined;
    const doc = JSON.parse(policies[0].inputs.policy as string);
    expect(doc.Version).to.equal("2012-10-17");
    return doc.Statement;
}

const allow = (Action: string | string[], Resource: string | string[]) => ({ Effect: "Allow", Action, Resource });
const rule = (name: string) => allow(["events:PutTargets", "events:PutRule", "events:DescribeRule"], `arn:aws:events:${R}:${ACCOUNT}:rule/${name}`);

interface Row {
    what: string;
    resource: string;
    parameters: Record<string, unknown>;
    expected: object[];
}

const ROWS: Row[] = [
    {
        what: "sns:publish to a topic",
        resource: "arn:aws:states:::sns:publish",
        parameters: { TopicArn: "arn:aws:sns:us-east-1:123456789012:done", "Message.$": "$.name" },
        expected: [allow("sns:Publish", "arn:aws:sns:us-east-1:123456789012:done")],
    },
    {
        what: "sns:publish.waitForTaskToken to a platform endpoint",
        resource: "arn:aws:states:::sns:publish.waitForTaskToken",
        parameters: { TargetArn: "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1a2b", "Message.$": "$$.Task.Token" },
        expected: [allow("sns:Publish", "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/1a2b")],
    },
    {
        what: "sqs:sendMessage to a queue named by URL, as the queue's ARN",
        resource: "arn:aws:states:::sqs:sendMessage",
        parameters: { QueueUrl: "https://sqs.eu-west-1.amazonaws.com/210987654321/jobs.fifo", "MessageBody.$": "$" },
        expected: [allow("sqs:SendMessage", "arn:aws:sqs:eu-west-1:210987654321:jobs.fifo")],
    },
    {
        what: "sqs:sendMessage.waitForTaskToken to a queue by its legacy URL",
        resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        parameters: { QueueUrl: "https://queue.amazonaws.com/210987654321/approvals", MessageBody: { "token.$": "$$.Task.Token" } },
        expected: [allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:210987654321:approvals")],
    },
    ...(["getItem", "putItem", "updateItem", "deleteItem"] as const).map((api) => ({
        what: `dynamodb:${api} on a table named by name, in the provider's region and account`,
        resource: `arn:aws:states:::dynamodb:${api}`,
        parameters: { TableName: "jobs", Key: { id: { "S.$": "$.id" } } },
        expected: [allow(`dynamodb:${api.charAt(0).toUpperCase()}${api.slice(1)}`, `arn:aws:dynamodb:${R}:${ACCOUNT}:table/jobs`)],
    })),
    {
        what: "dynamodb:putItem on a table named by ARN, in another account",
        resource: "arn:aws:states:::dynamodb:putItem",
        parameters: { TableName: "arn:aws:dynamodb:eu-west-1:210987654321:table/shared", Item: { id: { "S.$": "$.id" } } },
        expected: [allow("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:210987654321:table/shared")],
    },
    {
        what: "lambda:invoke of a function named by name",
        resource: "arn:aws:states:::lambda:invoke",
        parameters: { FunctionName: "transcribe", "Payload.$": "$" },
        expected: [allow("lambda:InvokeFunction", `arn:aws:lambda:${R}:${ACCOUNT}:function:transcribe`)],
    },
    {
        what: "lambda:invoke of an alias, which only its qualified ARN grants",
        resource: "arn:aws:states:::lambda:invoke",
        parameters: { FunctionName: "transcribe:live", "Payload.$": "$" },
        expected: [allow("lambda:InvokeFunction", `arn:aws:lambda:${R}:${ACCOUNT}:function:transcribe:live`)],
    },
    {
        what: "lambda:invoke of a partial ARN with a Qualifier",
        resource: "arn:aws:states:::lambda:invoke",
        parameters: { FunctionName: "210987654321:function:transcribe", Qualifier: "7", "Payload.$": "$" },
        expected: [allow("lambda:InvokeFunction", `arn:aws:lambda:${R}:210987654321:function:transcribe:7`)],
    },
    {
        what: "lambda:invoke.waitForTaskToken of a full ARN",
        resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
        parameters: { FunctionName: "arn:aws:lambda:eu-west-1:210987654321:function:review", Payload: { "token.$": "$$.Task.Token" } },
        expected: [allow("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:210987654321:function:review")],
    },
    {
        what: "states:startExecution, which only starts",
        resource: "arn:aws:states:::states:startExecution",
        parameters: { StateMachineArn: `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child`, "Input.$": "$" },
        expected: [allow("states:StartExecution", `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child`)],
    },
    ...[".sync", ".sync:2"].map((suffix) => ({
        what: `states:startExecution${suffix}, which also follows and stops the executions, through the managed rule`,
        resource: `arn:aws:states:::states:startExecution${suffix}`,
        parameters: { StateMachineArn: `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child`, "Input.$": "$" },
        expected: [
            allow("states:StartExecution", `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child`),
            allow(["states:DescribeExecution", "states:StopExecution"], `arn:aws:states:${R}:${ACCOUNT}:execution:child:*`),
            rule("StepFunctionsGetEventsForStepFunctionsExecutionRule"),
        ],
    })),
    {
        what: "states:startExecution.waitForTaskToken, which only starts",
        resource: "arn:aws:states:::states:startExecution.waitForTaskToken",
        parameters: { StateMachineArn: `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child`, Input: { "token.$": "$$.Task.Token" } },
        expected: [allow("states:StartExecution", `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child`)],
    },
    {
        what: "ecs:runTask of a task definition revision",
        resource: "arn:aws:states:::ecs:runTask",
        parameters: { Cluster: "encoders", TaskDefinition: "encode:3" },
        expected: [allow("ecs:RunTask", `arn:aws:ecs:${R}:${ACCOUNT}:task-definition/encode:3`)],
    },
    {
        what: "ecs:runTask.sync of a family's latest revision, with the task actions AWS grants on * and the managed rule",
        resource: "arn:aws:states:::ecs:runTask.sync",
        parameters: { Cluster: "encoders", TaskDefinition: "encode", LaunchType: "FARGATE" },
        expected: [allow("ecs:RunTask", `arn:aws:ecs:${R}:${ACCOUNT}:task-definition/encode:*`), allow(["ecs:StopTask", "ecs:DescribeTasks"], "*"), rule("StepFunctionsGetEventsForECSTaskRule")],
    },
    {
        what: "glue:startJobRun, on the job",
        resource: "arn:aws:states:::glue:startJobRun",
        parameters: { JobName: "nightly" },
        expected: [allow("glue:StartJobRun", `arn:aws:glue:${R}:${ACCOUNT}:job/nightly`)],
    },
    {
        what: "glue:startJobRun.sync, which also reads and stops the job's runs",
        resource: "arn:aws:states:::glue:startJobRun.sync",
        parameters: { JobName: "nightly" },
        expected: [allow(["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"], `arn:aws:glue:${R}:${ACCOUNT}:job/nightly`)],
    },
    {
        what: "batch:submitJob, on the job definition and the queue",
        resource: "arn:aws:states:::batch:submitJob",
        parameters: { JobName: "encode", JobDefinition: "encode:4", JobQueue: "arn:aws:batch:eu-west-1:210987654321:job-queue/gpu" },
        expected: [allow("batch:SubmitJob", `arn:aws:batch:${R}:${ACCOUNT}:job-definition/encode:4`), allow("batch:SubmitJob", "arn:aws:batch:eu-west-1:210987654321:job-queue/gpu")],
    },
    {
        what: "batch:submitJob.sync, with the job actions AWS grants on * and the managed rule",
        resource: "arn:aws:states:::batch:submitJob.sync",
        parameters: { JobName: "encode", JobDefinition: "encode", JobQueue: "gpu" },
        expected: [
            allow("batch:SubmitJob", `arn:aws:batch:${R}:${ACCOUNT}:job-definition/encode:*`),
            allow("batch:SubmitJob", `arn:aws:batch:${R}:${ACCOUNT}:job-queue/gpu`),
            allow(["batch:DescribeJobs", "batch:TerminateJob"], "*"),
            rule("StepFunctionsGetEventsForBatchJobsRule"),
        ],
    },
    {
        what: "aws-sdk:s3:getObject, on the object",
        resource: "arn:aws:states:::aws-sdk:s3:getObject",
        parameters: { Bucket: "meeting-audio", Key: "2024/team.mp3" },
        expected: [allow("s3:GetObject", "arn:aws:s3:::meeting-audio/2024/team.mp3")],
    },
    {
        what: "aws-sdk:s3:putObject, on an object whose key holds IAM's wildcards, written as themselves",
        resource: "arn:aws:states:::aws-sdk:s3:putObject",
        parameters: { Bucket: "meeting-audio", Key: "what?*$", "Body.$": "$" },
        expected: [allow("s3:PutObject", "arn:aws:s3:::meeting-audio/what${?}${*}${$}")],
    },
    {
        what: "aws-sdk:dynamodb:query on an index",
        resource: "arn:aws:states:::aws-sdk:dynamodb:query",
        parameters: { TableName: "jobs", IndexName: "byOwner", KeyConditionExpression: "o = :o" },
        expected: [allow("dynamodb:Query", `arn:aws:dynamodb:${R}:${ACCOUNT}:table/jobs/index/byOwner`)],
    },
    {
        what: "aws-sdk:sfn:startExecution, under IAM's states prefix",
        resource: "arn:aws:states:::aws-sdk:sfn:startExecution",
        parameters: { StateMachineArn: `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child` },
        expected: [allow("states:StartExecution", `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child`)],
    },
    {
        what: "aws-sdk:s3:listObjectsV2, as s3:ListBucket on the bucket",
        resource: "arn:aws:states:::aws-sdk:s3:listObjectsV2",
        parameters: { Bucket: "meeting-audio", Prefix: "2024/" },
        expected: [allow("s3:ListBucket", "arn:aws:s3:::meeting-audio")],
    },
];

describe("grants for the integrations task steps call, under mocks", () => {
    for (const row of ROWS) {
        it(`grants ${row.what}`, async () => {
            const synth = await only({ resource: row.resource, parameters: row.parameters as TaskStepArgs["parameters"] });
            expect(statementsOf(synth)).to.deep.equal(row.expected);
        });
    }

    it("grants each integration once however many steps call it, after what the steps declare nothing twice", async () => {
        const publish = { resource: "arn:aws:states:::sns:publish", parameters: { TopicArn: "arn:aws:sns:us-east-1:123456789012:done", Message: "x" } };
        const synth = await synthesize({}, "test", async () => {
            const workflow = new IteratorWorkflow("iterator", {
                strategy: "map",
                logging: { level: "OFF" },
                alarms: false,
                steps: [
                    { kind: "task", name: "A", resultKey: "a", ...publish, policyStatements: [{ Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:123456789012:done" }] },
                    { kind: "task", name: "B", resultKey: "b", ...publish, policyStatements: [{ Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/encoder` }] },
                ],
            });
            return { arn: workflow.stateMachineArn };
        });
        expect(statementsOf(synth)).to.deep.equal([allow("sns:Publish", "arn:aws:sns:us-east-1:123456789012:done"), { Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/encoder`, Effect: "Allow" }]);
    });

    it("takes a target known only at deploy (an Output) and grants what it resolves to", async () => {
        const synth = await synthesize({}, "test", async () => {
            const topic = new aws.sns.Topic("done", {});
            const workflow = new IteratorWorkflow("iterator", {
                strategy: "map",
                logging: { level: "OFF" },
                alarms: false,
                steps: [{ kind: "task", name: "Notify", resultKey: "sent", resource: pulumi.output("arn:aws:states:::sns:publish"), parameters: { TopicArn: topic.arn, "Message.$": "$.name" } }],
            });
            return { arn: workflow.stateMachineArn };
        });
        expect(statementsOf(synth)).to.deep.equal([allow("sns:Publish", `arn:aws:sns:${R}:${ACCOUNT}:done`)]);
    });

    it("grants nothing for a target chosen at run time, only what the step declares", async () => {
        const declared = [{ Action: "sns:Publish", Resource: [`arn:aws:sns:${R}:${ACCOUNT}:a`, `arn:aws:sns:${R}:${ACCOUNT}:b`] }];
        const synth = await only({ resource: "arn:aws:states:::sns:publish", parameters: { "TopicArn.$": "$.topic", "Message.$": "$.name" }, policyStatements: declared });
        expect(statementsOf(synth)).to.deep.equal([{ ...declared[0], Effect: "Allow" }]);
    });

    it("creates no role policy when an integration needs nothing the parameters name and nothing else is needed", async () => {
        // Without TopicArn, TargetArn or PhoneNumber the call fails for want of a target, whatever IAM allows.
        expect(statementsOf(await only({ resource: "arn:aws:states:::sns:publish", parameters: { Message: "x" } }))).to.equal(undefined);
    });

    it("builds ARNs from names in the region and account it is given", () => {
        const ctx = { region: "eu-central-1", account: "999999999999" };
        expect(grantStatements([{ resource: "arn:aws-cn:states:::dynamodb:getItem", parameters: { TableName: "jobs" } }], ctx)).to.deep.equal([
            allow("dynamodb:GetItem", "arn:aws-cn:dynamodb:eu-central-1:999999999999:table/jobs"),
        ]);
        expect(grantStatements([{ resource: "arn:aws:states:::glue:startJobRun", parameters: { JobName: "n" } }], ctx)).to.deep.equal([allow("glue:StartJobRun", "arn:aws:glue:eu-central-1:999999999999:job/n")]);
    });

    it("has a test row for every integration it knows", () => {
        const tested = new Set(ROWS.map((r) => r.resource.replace(/^arn:aws:states:::/, "").replace(/\.(sync(:2)?|waitForTaskToken)$/, "")));
        // The AWS SDK rows not above share their code with a tested one (s3 objects, DynamoDB tables, sfn executions).
        const sharing = ["aws-sdk:s3:deleteObject", "aws-sdk:s3:headObject", "aws-sdk:dynamodb:getItem", "aws-sdk:dynamodb:putItem", "aws-sdk:dynamodb:updateItem", "aws-sdk:dynamodb:deleteItem", "aws-sdk:dynamodb:scan", "aws-sdk:sqs:sendMessage", "aws-sdk:sns:publish", "aws-sdk:lambda:invoke", "aws-sdk:sfn:startSyncExecution", "aws-sdk:sfn:describeExecution", "aws-sdk:sfn:stopExecution", "aws-sdk:sfn:redriveExecution", "aws-sdk:sfn:getExecutionHistory"];
        expect(KNOWN_INTEGRATIONS.filter((i) => !tested.has(i) && !sharing.includes(i))).to.deep.equal([]);
        for (const name of sharing) expect(taskGrants(`arn:aws:states:::${name}`, {}, { region: R, account: ACCOUNT }), name).to.not.equal(undefined);
    });
});

describe("a task step whose target the component cannot grant", () => {
    const bad: [string, Partial<TaskStepArgs>, string][] = [
        [
            "a topic chosen at run time, without policyStatements",
            { resource: "arn:aws:states:::sns:publish", parameters: { "TopicArn.$": "$.topic", "Message.$": "$.name" } },
            'steps[0].policyStatements: is required: sns:publish: "TopicArn.$": "$.topic" picks it at run time, so the component cannot name it; declare {"Action":"sns:Publish","Resource":"arn:<partition>:sns:<region>:<account>:<topic>"} for each it may be',
        ],
        [
            "a state machine chosen at run time, declaring only the start",
            { resource: "arn:aws:states:::states:startExecution.sync:2", parameters: { "StateMachineArn.$": "$.machine" }, policyStatements: [{ Action: "states:StartExecution", Resource: `arn:aws:states:${R}:${ACCOUNT}:stateMachine:child` }] },
            'steps[0].policyStatements: grant no states:DescribeExecution, states:StopExecution, which states:startExecution: "StateMachineArn.$": "$.machine" picks it at run time, so the component cannot name it; add {"Action":["states:DescribeExecution","states:StopExecution"],"Resource":"arn:<partition>:states:<region>:<account>:execution:<machine>:*"} for each it may be',
        ],
        [
            "an SMS, which IAM scopes to no ARN",
            { resource: "arn:aws:states:::sns:publish", parameters: { PhoneNumber: "+15555550100", Message: "done" } },
            'steps[0].policyStatements: is required: sns:publish: "PhoneNumber" sends an SMS, which IAM scopes to no ARN, so the component cannot name it; declare {"Action":"sns:Publish","Resource":"*"} for each it may be',
        ],
        [
            "an AWS SDK call the table does not know",
            { resource: "arn:aws:states:::aws-sdk:ec2:describeInstances", parameters: {} },
            'steps[0].policyStatements: is required: aws-sdk:ec2:describeInstances: the table does not know which resource aws-sdk:ec2:describeInstances acts on, so the component cannot name it; declare {"Action":"ec2:DescribeInstances","Resource":"<the resources it acts on>"} for each it may be',
        ],
        ["a queue URL that is not one", { resource: "arn:aws:states:::sqs:sendMessage", parameters: { QueueUrl: "jobs", MessageBody: "x" } }, 'steps[0].parameters.QueueUrl: must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>), got "jobs"'],
        ["a topic that is not an ARN", { resource: "arn:aws:states:::sns:publish", parameters: { TopicArn: "done", Message: "x" } }, 'steps[0].parameters.TopicArn: must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>), got "done"'],
    ];
    for (const [what, step, message] of bad) {
        it(`refuses ${what}, in one line naming the field`, async () => {
            expect(() => validateArgs({ steps: [{ kind: "task", name: "Call", resultKey: "out", ...step }] })).to.throw(ArgsError).with.property("message", message);
            const err = await rejection(only(step));
            expect(pulumi.RunError.isInstance(err), String(err)).to.equal(true);
            expect(err.message).to.equal(`IteratorWorkflow "iterator": ${message}`);
        });
    }

    it("takes any name of the right action for an AWS SDK call the table does not know (its IAM name is only a likely one)", () => {
        const step = { kind: "task", name: "Call", resultKey: "out", resource: "arn:aws:states:::aws-sdk:ec2:describeInstances", parameters: {} };
        expect(() => validateArgs({ steps: [{ ...step, policyStatements: [{ Action: "ec2:Describe*", Resource: "*" }] }] })).not.to.throw();
        expect(() => validateArgs({ steps: [{ ...step, policyStatements: [{ Action: "s3:GetObject", Resource: "*" }] }] })).to.throw(ArgsError, "steps[0].policyStatements: grant no ec2:DescribeInstances");
    });

    it("says the same from stack config, naming the key", async () => {
        const steps = [{ kind: "task", name: "Notify", resultKey: "sent", resource: "arn:aws:states:::sns:publish", parameters: { "TopicArn.$": "$.topic", "Message.$": "$.name" } }];
        const err = await rejection(synthesize({ "iterator-workflow:steps": JSON.stringify(steps) }));
        expect(err.message).to.match(/^config iterator-workflow:steps\[0\]\.policyStatements: is required: sns:publish: "TopicArn\.\$": "\$\.topic" picks it at run time/);
    });
});
