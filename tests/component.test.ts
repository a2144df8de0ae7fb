// The component and the program under Pulumi's mock engine: resources, parents, IAM, config errors.
import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IteratorWorkflow } from "../components/iteratorWorkflow";
import { handOverPolicy } from "../components/iam";
import { moveToEndArchive } from "../components/moveToEndCode";
import type { IteratorWorkflowArgs } from "../components/types";
import { ACCOUNT, archiveFiles, readStackConfig, synthesize, type Synthesis, type SynthResource } from "../local/synth";
import { aslErrors } from "./helpers/asl";
import { rejection } from "./helpers/errors";
import { BAD_TARGETS } from "./helpers/targets";

const COMPONENT = "iterator-workflow:index:IteratorWorkflow::iterator";
/** What the component creates for its alarms unless told a topic (or that there are none): a key, the topic, its policy, four alarms. */
const ALARM_RESOURCES = [
    "aws:kms/key:Key iterator-alarms",
    "aws:sns/topic:Topic iterator-alarms",
    "aws:sns/topicPolicy:TopicPolicy iterator-alarms",
    "aws:cloudwatch/metricAlarm:MetricAlarm iterator-failed",
    "aws:cloudwatch/metricAlarm:MetricAlarm iterator-timed-out",
    "aws:cloudwatch/metricAlarm:MetricAlarm iterator-aborted",
    "aws:cloudwatch/metricAlarm:MetricAlarm iterator-throttled",
];
/** What the component creates for its job store unless given a bucket (or told there is none). */
const JOB_STORE_RESOURCES = [
    "aws:s3/bucket:Bucket iterator-jobs",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls iterator-jobs",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock iterator-jobs",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration iterator-jobs",
];
const json = (value: unknown) => JSON.parse(value as string);

function one(synth: Synthesis, type: string, name: string): SynthResource {
    const found = synth.resources.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0];
}

/**
 * Runs a program that builds one IteratorWorkflow. It exports the state machine's ARN because the mock
 * engine's run is over once the exports settle, and the state machine is registered last.
 */
const component = (args: IteratorWorkflowArgs) => synthesize({}, "test", async () => ({ arn: new IteratorWorkflow("iterator", args).stateMachineArn }));

describe("the program (index.ts) for stack dev, under mocks", () => {
    let synth: Synthesis;
    before(async () => {
        synth = await synthesize(readStackConfig("dev"));
    });

    it("creates the component and its resources, every one parented to it", () => {
        const children = synth.resources.filter((r) => r.parent === COMPONENT).map((r) => `${r.type} ${r.name}`);
        expect(children.sort()).to.deep.equal(
            [
                "aws:cloudwatch/logGroup:LogGroup iterator-move-to-end",
                "aws:cloudwatch/logGroup:LogGroup iterator-states",
                "aws:iam/role:Role iterator-move-to-end",
                "aws:iam/role:Role iterator-states",
                "aws:iam/rolePolicy:RolePolicy iterator-move-to-end",
                "aws:iam/rolePolicy:RolePolicy iterator-states",
                "aws:iam/rolePolicy:RolePolicy iterator-states-handover",
                ...ALARM_RESOURCES,
                "aws:lambda/function:Function iterator-move-to-end",
                "aws:sfn/stateMachine:StateMachine iterator",
                ...JOB_STORE_RESOURCES,
            ].sort(),
        );
        const others = synth.resources.filter((r) => r.parent !== COMPONENT).map((r) => r.type);
        expect(others.sort()).to.deep.equal(["iterator-workflow:index:IteratorWorkflow", "pulumi:pulumi:Stack"]);
    });

    it("deploys MoveToEnd on Node.js 22, arm64, 128 MB, with a short timeout and its own log group", async () => {
        const fn = one(synth, "aws:lambda/function:Function", "iterator-move-to-end");
        expect(fn.inputs).to.deep.include({ runtime: "nodejs22.x", architectures: ["arm64"], memorySize: 128, timeout: 10, handler: "index.handler" });
        expect(fn.inputs.loggingConfig).to.deep.equal({ logFormat: "JSON", logGroup: "iterator-move-to-end" });
        expect(one(synth, "aws:cloudwatch/logGroup:LogGroup", "iterator-move-to-end").inputs.retentionInDays).to.equal(30);
    });

    it("deploys, as index.js, the very code the tests and the local run execute", async () => {
        const fn = one(synth, "aws:lambda/function:Function", "iterator-move-to-end");
        expect(await archiveFiles(fn.inputs.code)).to.deep.equal(moveToEndArchive());
        expect(Object.keys(moveToEndArchive()).sort()).to.deep.equal(["index.js", "jobStore.js"]);
    });

    it("lets MoveToEnd write to its own log group, read jobs under the input prefix and write results under the results prefix, and nothing else", () => {
        expect(json(one(synth, "aws:iam/role:Role", "iterator-move-to-end").inputs.assumeRolePolicy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        expect(json(one(synth, "aws:iam/rolePolicy:RolePolicy", "iterator-move-to-end").inputs.policy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "WriteOwnLogs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                    Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:iterator-move-to-end:*`,
                },
                // Not even s3:ListBucket: a missing key then reads as AccessDenied, which MoveToEnd reports as such.
                { Sid: "ReadJobs", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::iterator-jobs/input/*" },
                { Sid: "WriteResults", Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::iterator-jobs/results/*" },
            ],
        });
    });

    it("creates a private job store: public access blocked, ACLs disabled, encrypted at rest", () => {
        const bucket = one(synth, "aws:s3/bucket:Bucket", "iterator-jobs");
        const byBucket = { bucket: "iterator-jobs" };
        expect(one(synth, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "iterator-jobs").inputs).to.deep.equal({
            ...byBucket,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(one(synth, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "iterator-jobs").inputs).to.deep.equal({ ...byBucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
        expect(one(synth, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "iterator-jobs").inputs).to.deep.equal({
            ...byBucket,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        });
        expect(bucket.inputs).not.to.have.any.keys("acl", "policy", "website");
        // MoveToEnd reads and writes by the settings its definition passes; Prepare names the run after the execution.
        const def = json(one(synth, "aws:sfn/stateMachine:StateMachine", "iterator").inputs.definition);
        expect(def.States.Prepare.Parameters.settings).to.deep.include({ store: { bucket: "iterator-jobs", inputPrefix: "input/", resultsPrefix: "results/" }, maxLineBytes: 128 });
        expect(def.States.Prepare.Parameters["execution.$"]).to.equal("$$.Execution.Name");
        expect(def.States.Prepare.Parameters.settings.windowJobs).to.equal((synth.outputs.capacity as { byReference: { windowJobs: number } }).byReference.windowJobs);
    });

    it("trusts states.amazonaws.com for this account only, and may invoke exactly MoveToEnd", () => {
        expect(json(one(synth, "aws:iam/role:Role", "iterator-states").inputs.assumeRolePolicy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "states.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
                },
            ],
        });
        const policy = json(one(synth, "aws:iam/rolePolicy:RolePolicy", "iterator-states").inputs.policy);
        expect(policy.Statement).to.deep.equal([
            { Sid: "InvokeStepFunctions", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:iterator-move-to-end`] },
            {
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
            },
        ]);
    });

    it("lets the state machine start and follow only its own executions, for a hand-over", () => {
        const policy = json(one(synth, "aws:iam/rolePolicy:RolePolicy", "iterator-states-handover").inputs.policy);
        expect(policy).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                { Sid: "StartNextExecution", Effect: "Allow", Action: "states:StartExecution", Resource: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:iterator` },
                {
                    Sid: "FollowNextExecution",
                    Effect: "Allow",
                    Action: ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution", "states:GetExecutionHistory"],
                    Resource: `arn:aws:states:us-east-1:${ACCOUNT}:execution:iterator:*`,
                },
                {
                    Sid: "ManagedRuleForSync",
                    Effect: "Allow",
                    Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                    Resource: `arn:aws:events:us-east-1:${ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
                },
            ],
        });
        expect(one(synth, "aws:iam/rolePolicy:RolePolicy", "iterator-states-handover").propertyDependencies.role).to.deep.equal(["aws:iam/role:Role::iterator-states"]);
    });

    it("creates a Standard state machine logging errors to a vended-logs group with a retention", () => {
        const sm = one(synth, "aws:sfn/stateMachine:StateMachine", "iterator");
        expect(sm.inputs.type).to.equal("STANDARD");
        expect(sm.inputs.loggingConfiguration).to.deep.equal({
            level: "ERROR",
            includeExecutionData: false,
            logDestination: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/vendedlogs/states/iterator-iterator-states:*`,
        });
        expect(sm.inputs.tracingConfiguration).to.deep.equal({ enabled: false });
    });

    it("exports the definition it deployed, valid ASL, plus capacity and a ready start-execution command", () => {
        const sm = one(synth, "aws:sfn/stateMachine:StateMachine", "iterator");
        expect(synth.outputs.definition).to.equal(sm.inputs.definition);
        expect(aslErrors(json(sm.inputs.definition))).to.equal("");
        expect(json(sm.inputs.definition).States.ProcessFirstPass.Result).to.equal("success");
        // Hands over by default: history no longer bounds the list. (25,000 × 0.9 − 11 fixed − 13 per hand-over) / 11 = 2,043.
        expect(synth.outputs.capacity).to.deep.include({ transitionsPerJob: 4, historyEventsPerJob: 11, maxJobsByHistory: null, jobsPerExecution: 2043 });
        expect(synth.outputs.startExecutionCommand).to.equal(
            `aws stepfunctions start-execution --state-machine-arn arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:iterator --input '{"jobs":[{"name":"First job"},{"name":"Second job"}]}'`,
        );
        expect(synth.outputs.moveToEndFunctionName).to.equal("iterator-move-to-end");
    });
});

describe("the component with its own steps, under mocks", () => {
    it("grants lambda:InvokeFunction on exactly MoveToEnd and each lambda step's function, plus task steps' statements and tracing", async () => {
        const synth = await synthesize({}, "test", async () => {
            const transcribe = new aws.lambda.Function("transcribe", { role: "arn:aws:iam::123456789012:role/t", runtime: "nodejs22.x", handler: "index.handler", code: new pulumi.asset.AssetArchive({}) });
            const review = new aws.sfn.Activity("review", {});
            const workflow = new IteratorWorkflow("iterator", {
                steps: [
                    { kind: "lambda", name: "Transcribe", resultKey: "transcript", function: transcribe },
                    { kind: "lambda", name: "Summarize", resultKey: "summary", function: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:summarize:live` },
                    { kind: "activity", name: "Review", resultKey: "review", activity: review, heartbeatSeconds: 300 },
                    {
                        kind: "task",
                        name: "Encode",
                        resultKey: "encoded",
                        resource: "arn:aws:states:::ecs:runTask",
                        parameters: { Cluster: "encoders", TaskDefinition: "encode:3" },
                        // The component grants ecs:RunTask on the task definition; the role the task runs as it cannot know.
                        policyStatements: [{ Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/encoder` }],
                    },
                ],
                tracing: true,
                logging: { level: "OFF" },
                // STANDARD: an EXPRESS workflow cannot run the activity step.
                type: "STANDARD",
            });
            return { arn: workflow.stateMachineArn };
        });
        const policy = json(one(synth, "aws:iam/rolePolicy:RolePolicy", "iterator-states").inputs.policy);
        expect(policy.Statement).to.deep.equal([
            {
                Sid: "InvokeStepFunctions",
                Effect: "Allow",
                Action: "lambda:InvokeFunction",
                Resource: [
                    `arn:aws:lambda:us-east-1:${ACCOUNT}:function:iterator-move-to-end`,
                    `arn:aws:lambda:us-east-1:${ACCOUNT}:function:summarize:live`,
                    `arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe`,
                ],
            },
            { Effect: "Allow", Action: "ecs:RunTask", Resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/encode:3` },
            { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/encoder` },
            { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"], Resource: "*" },
        ]);
        const sm = one(synth, "aws:sfn/stateMachine:StateMachine", "iterator");
        expect(sm.inputs).to.deep.include({ type: "STANDARD", loggingConfiguration: { level: "OFF" }, tracingConfiguration: { enabled: true } });
        expect(synth.resources.some((r) => r.name === "iterator-states" && r.type === "aws:cloudwatch/logGroup:LogGroup")).to.equal(false);
        const def = json(sm.inputs.definition);
        expect(aslErrors(def)).to.equal("");
        expect(def.States.Transcribe.Resource).to.equal(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe`);
        expect(def.States.Review.Resource).to.equal(`arn:aws:states:us-east-1:${ACCOUNT}:activity:review`);
    });

    it("with the map strategy, creates no function of its own and grants exactly the steps' functions", async () => {
        const synth = await component({
            strategy: "map",
            maxConcurrency: 4,
            steps: [{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe` }],
        });
        const children = synth.resources.filter((r) => r.parent === COMPONENT).map((r) => `${r.type} ${r.name}`);
        expect(children.sort()).to.deep.equal(
            ["aws:cloudwatch/logGroup:LogGroup iterator-states", "aws:iam/role:Role iterator-states", "aws:iam/rolePolicy:RolePolicy iterator-states", "aws:sfn/stateMachine:StateMachine iterator", ...ALARM_RESOURCES].sort(),
        );
        const policy = json(one(synth, "aws:iam/rolePolicy:RolePolicy", "iterator-states").inputs.policy);
        expect(policy.Statement[0]).to.deep.equal({ Sid: "InvokeStepFunctions", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe`] });
        const sm = one(synth, "aws:sfn/stateMachine:StateMachine", "iterator");
        const def = json(sm.inputs.definition);
        expect(aslErrors(def)).to.equal("");
        expect(def.States.ProcessJobs).to.include({ Type: "Map", MaxConcurrency: 4 });
        expect((sm.inputs.tags as Record<string, string>)["iterator-workflow:strategy"]).to.equal("map");
    });

    it("creates no role policy when the state machine needs no permission at all", async () => {
        const synth = await component({ strategy: "map", steps: [{ kind: "pass", name: "Tag", resultKey: "tag", result: "t" }], logging: { level: "OFF" } });
        expect(synth.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")).to.deep.equal([]);
        expect(one(synth, "aws:sfn/stateMachine:StateMachine", "iterator").inputs.roleArn).to.equal(`arn:aws:iam::${ACCOUNT}:role/iterator-states`);
    });

    it("stops at construction with one line naming the bad argument, and no stack trace", async () => {
        const err = await rejection(component({ steps: [{ kind: "pass", name: "Done", resultKey: "x", result: 1 }] }));
        expect(pulumi.RunError.isInstance(err)).to.equal(true);
        expect(err.message).to.match(/^IteratorWorkflow "iterator": steps\[0\]\.name: "Done" is one of the component's own states \(Prepare, NextJob, MoveToEnd, Done, .*\); pick another name$/);
        // Its stack is its one line: Pulumi's runner would otherwise spend seconds formatting frames nobody sees.
        expect(err.stack).to.equal(`${err.name}: ${err.message}`);
    });
});

describe("step targets from code", () => {
    for (const { what, args, message } of BAD_TARGETS) {
        it(`refuses ${what} at construction, in one line naming the field`, async () => {
            const err = await rejection(component(args as IteratorWorkflowArgs));
            expect(pulumi.RunError.isInstance(err), String(err)).to.equal(true);
            expect(err.message).to.equal(`IteratorWorkflow "iterator": ${message}`);
        });
    }

    it("refuses a resource of the wrong class, naming the class", async () => {
        const err = await rejection(
            synthesize({}, "test", async () => {
                const review = new aws.sfn.Activity("review", {});
                const workflow = new IteratorWorkflow("iterator", { steps: [{ kind: "lambda", name: "Review", resultKey: "review", function: review as unknown as aws.lambda.Function }] });
                return { arn: workflow.stateMachineArn };
            }),
        );
        expect(err.message).to.equal('IteratorWorkflow "iterator": steps[0].function: must be an aws.lambda.Function, a Lambda function ARN or a pulumi Output of one, got a resource of class Activity');
    });

    it("accepts Outputs, unknown until deploy, for every target, and uses what they resolve to", async () => {
        const synth = await synthesize({}, "test", async () => {
            const review = new aws.sfn.Activity("review", {});
            const workflow = new IteratorWorkflow("iterator", {
                steps: [
                    { kind: "lambda", name: "Transcribe", resultKey: "transcript", function: pulumi.output(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe`) },
                    { kind: "activity", name: "Review", resultKey: "review", activity: review.arn },
                    { kind: "task", name: "Notify", resultKey: "sent", resource: pulumi.output("arn:aws:states:::sns:publish") },
                ],
            });
            return { arn: workflow.stateMachineArn };
        });
        const states = json(one(synth, "aws:sfn/stateMachine:StateMachine", "iterator").inputs.definition).States;
        expect([states.Transcribe.Resource, states.Review.Resource, states.Notify.Resource]).to.deep.equal([
            `arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe`,
            `arn:aws:states:us-east-1:${ACCOUNT}:activity:review`,
            "arn:aws:states:::sns:publish",
        ]);
    });
});

describe("stack config", () => {
    const bad: [string, Record<string, string>, string][] = [
        ["an unknown key", { "iterator-workflow:step": "[]" }, "config iterator-workflow:step: unknown config key"],
        ["steps that are not a list", { "iterator-workflow:steps": '{"kind":"pass"}' }, "config iterator-workflow:steps: must be a list of one or more steps"],
        ["a step with a bad result key", { "iterator-workflow:steps": '[{"kind":"pass","name":"A","resultKey":"1x","result":1}]' }, "config iterator-workflow:steps[0].resultKey: must be a field name"],
        ["an unknown onJobError", { "iterator-workflow:onJobError": "ignore" }, 'config iterator-workflow:onJobError: must be one of fail, record, got "ignore"'],
        ["a timeout that is not a number", { "iterator-workflow:timeoutSeconds": "soon" }, 'config iterator-workflow:timeoutSeconds: must be a whole number from 1 to 31536000, got "soon"'],
        ["limits with a typo", { "iterator-workflow:limits": '{"maxJob":3}' }, "config iterator-workflow:limits.maxJob: unknown key"],
        ["a pass step whose result is null", { "iterator-workflow:steps": '[{"kind":"pass","name":"A","resultKey":"a","result":null}]' }, "config iterator-workflow:steps[0].result: must not be null"],
    ];
    for (const [what, config, message] of bad) {
        it(`rejects ${what} in one line naming the key`, async () => {
            const err = await rejection(synthesize(config));
            expect(pulumi.RunError.isInstance(err), String(err)).to.equal(true);
            expect(err.message).to.contain(message);
            expect(err.message).not.to.contain("\n");
        });
    }

    it("defaults to the seed's two pass steps", async () => {
        const synth = await synthesize({});
        const def = json(one(synth, "aws:sfn/stateMachine:StateMachine", "iterator").inputs.definition);
        expect(def.States.ProcessFirstPass).to.include({ Result: "success", ResultPath: "$.jobs[0].firstResult" });
        expect(def.States.ProcessSecondPass).to.include({ Result: "success", ResultPath: "$.jobs[0].secondResult" });
    });

    for (const { what, args, message } of BAD_TARGETS) {
        it(`refuses ${what} in one line naming the key`, async () => {
            const config: Record<string, string> = { "iterator-workflow:steps": JSON.stringify(args.steps) };
            if (args.type !== undefined) config["iterator-workflow:type"] = args.type;
            const err = await rejection(synthesize(config));
            expect(pulumi.RunError.isInstance(err), String(err)).to.equal(true);
            expect(err.message).to.equal(`config iterator-workflow:${message}`);
        });
    }

    it("reports an unknown stack by name", () => {
        expect(() => readStackConfig("nope")).to.throw(/unknown stack "nope": there is no Pulumi.nope.yaml \(stacks here: dev/);
    });
});

describe("the hand-over grant", () => {
    it("is made from the state machine's ARN, and anything else (a mock's made-up ARN, none at all) is one line saying what to return", () => {
        const machine = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:meetings`;
        const doc = handOverPolicy(machine);
        expect(doc.Statement.find((s) => s.Sid === "StartNextExecution")?.Resource).to.equal(machine);
        for (const arn of [undefined, `arn:aws:mock:us-east-1:${ACCOUNT}:meetings`]) {
            expect(() => handOverPolicy(arn as unknown as string)).to.throw(
                `the state machine's arn is ${JSON.stringify(arn)}, not a state machine ARN; the hand-over grant is made from it (under pulumi.runtime.setMocks, return arn:aws:states:REGION:ACCOUNT:stateMachine:NAME for aws:sfn/stateMachine:StateMachine)`,
            );
        }
    });
});
