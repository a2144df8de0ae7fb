// The policy step-functions-task-grants over what programs register under the mock engine, run as the
// engine runs a stack policy (local/policyRun.ts): it refuses a Task state whose integration the state
// machine role's policies do not allow, and never refuses on what it cannot know.
import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IteratorWorkflow } from "../components/iteratorWorkflow";
import { taskGrantsPolicy } from "../policies/grants";
import { mandatory, runPolicies, type Violation } from "../local/policyRun";
import { ACCOUNT, readStackConfig, synthesize, type Synthesis } from "../local/synth";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownStringValue } = require("@pulumi/policy/proxy");

const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";
const check = (synth: Synthesis): Promise<Violation[]> => runPolicies(synth, { stack: "dev", policies: [taskGrantsPolicy] });
const found = (violations: Violation[]) => violations.map((v) => [v.level, v.resource?.name, v.message]);

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const policy = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const machine = (States: object, extra: object = {}) => JSON.stringify({ StartAt: Object.keys(States)[0], States, ...extra });
const publish = (topic: string) => ({ Type: "Task", Resource: "arn:aws:states:::sns:publish", Parameters: { TopicArn: topic, "Message.$": "$" }, End: true });

/** A hand-made state machine with its own role and, if given, a role policy. */
function handMade(definition: string, rolePolicy?: string, roleArgs: Partial<aws.iam.RoleArgs> = {}) {
    return synthesize({}, "test", async () => {
        const role = new aws.iam.Role("pipeline", { assumeRolePolicy: TRUST, ...roleArgs });
        const grants = rolePolicy === undefined ? [] : [new aws.iam.RolePolicy("pipeline", { role: role.id, policy: rolePolicy })];
        const sm = new aws.sfn.StateMachine("pipeline", { roleArn: role.arn, definition }, { dependsOn: grants });
        return { arn: sm.arn };
    });
}

const dev = (overrides: Record<string, unknown> = {}) =>
    synthesize({ ...readStackConfig("dev"), ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`iterator-workflow:${k}`, JSON.stringify(v)])) });

const SNS_DOCS = "https://docs.aws.amazon.com/step-functions/latest/dg/sns-iam.html";

describe(taskGrantsPolicy.name, () => {
    it("passes what the component grants: the dev stack, its hand-over included, and a step of each kind of integration, with either strategy", async () => {
        expect(await check(await dev())).to.deep.equal([]);
        const steps = [
            { kind: "task", name: "Notify", resultKey: "a", resource: "arn:aws:states:::sns:publish", parameters: { TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:done`, "Message.$": "$.name" } },
            { kind: "task", name: "Queue", resultKey: "b", resource: "arn:aws:states:::sqs:sendMessage", parameters: { QueueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs`, "MessageBody.$": "$" } },
            { kind: "task", name: "Save", resultKey: "c", resource: "arn:aws:states:::dynamodb:putItem", parameters: { TableName: "jobs", Item: { id: { "S.$": "$.name" } } } },
            { kind: "task", name: "Invoke", resultKey: "d", resource: "arn:aws:states:::lambda:invoke", parameters: { FunctionName: "transcribe:live", "Payload.$": "$" }, resultSelector: { "v.$": "$.Payload" } },
            { kind: "task", name: "Child", resultKey: "e", resource: "arn:aws:states:::states:startExecution.sync:2", parameters: { StateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:child`, "Input.$": "$" } },
            { kind: "task", name: "Encode", resultKey: "f", resource: "arn:aws:states:::ecs:runTask.sync", parameters: { Cluster: "encoders", TaskDefinition: "encode" } },
            { kind: "task", name: "Crawl", resultKey: "g", resource: "arn:aws:states:::glue:startJobRun.sync", parameters: { JobName: "nightly" } },
            { kind: "task", name: "Batch", resultKey: "h", resource: "arn:aws:states:::batch:submitJob.sync", parameters: { JobName: "x", JobDefinition: "encode:2", JobQueue: "gpu" } },
            { kind: "task", name: "Fetch", resultKey: "i", resource: "arn:aws:states:::aws-sdk:s3:getObject", parameters: { Bucket: "audio", Key: "a.mp3" } },
            { kind: "task", name: "Pick", resultKey: "j", resource: "arn:aws:states:::sns:publish", parameters: { "TopicArn.$": "$.topic", Message: "x" }, policyStatements: [{ Action: "sns:Publish", Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:picked` }] },
        ];
        expect(await check(await dev({ steps }))).to.deep.equal([]);
        expect(await check(await dev({ steps, strategy: "map" }))).to.deep.equal([]);
    });

    it("refuses a component's task whose target, known only at deploy, is chosen at run time and granted by nothing, naming the statement to declare", async () => {
        const synth = await synthesize({}, "test", async () => {
            // Parameters as an Output: the component's argument check cannot see into them.
            const workflow = new IteratorWorkflow("iterator", {
                alarms: false,
                steps: [{ kind: "task", name: "Notify", resultKey: "sent", resource: "arn:aws:states:::sns:publish", parameters: pulumi.output({ "TopicArn.$": "$.topic", "Message.$": "$.name" }) }],
            });
            return { arn: workflow.stateMachineArn };
        });
        const violations = await check(synth);
        expect(found(violations)).to.deep.equal([
            [
                "mandatory",
                "iterator",
                'state "Notify" (sns:publish) calls what role iterator-states\'s policies do not allow; add {"Effect":"Allow","Action":"sns:Publish","Resource":"arn:<partition>:sns:<region>:<account>:<topic>"} ("TopicArn.$": "$.topic" picks it at run time: one for each resource it may be). ' +
                    `AWS's policy for it: ${SNS_DOCS}`,
            ],
        ]);
        expect(violations[0].resource?.type).to.equal(STATE_MACHINE);
    });

    it("refuses a hand-made state machine whose role may publish to another topic, with the exact statement to add", async () => {
        const synth = await handMade(machine({ Notify: publish(`arn:aws:sns:us-east-1:${ACCOUNT}:done`) }), policy({ Effect: "Allow", Action: "sns:Publish", Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:other` }));
        expect(found(await check(synth))).to.deep.equal([
            [
                "mandatory",
                "pipeline",
                `state "Notify" (sns:publish) calls what role pipeline's policies do not allow; add {"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:${ACCOUNT}:done"}. AWS's policy for it: ${SNS_DOCS}`,
            ],
        ]);
    });

    it("reads IAM's wildcards, and a name whose region and account it cannot know matches them in any grant", async () => {
        const getItem = { Get: { Type: "Task", Resource: "arn:aws:states:::dynamodb:getItem", Parameters: { TableName: "jobs", Key: { id: { "S.$": "$.id" } } }, End: true } };
        const grant = (Resource: string, Action = "dynamodb:GetItem") => policy({ Effect: "Allow", Action, Resource });
        expect(await check(await handMade(machine(getItem), grant(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/jobs`)))).to.deep.equal([]);
        expect(await check(await handMade(machine(getItem), grant("arn:aws:dynamodb:*:*:table/job?", "dynamodb:Get*")))).to.deep.equal([]);
        expect(await check(await handMade(machine(getItem), grant("*", "*")))).to.deep.equal([]);
        const [v, ...more] = await check(await handMade(machine(getItem), grant(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/jobs-archive`)));
        expect(more).to.deep.equal([]);
        expect(v.message).to.contain('add {"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:<region>:<account>:table/jobs"}');
    });

    it("finds tasks inside a Map's item processor and in JSONata states, and names every missing grant of a .sync integration", async () => {
        const definition = machine(
            {
                Loop: {
                    Type: "Map",
                    ItemProcessor: {
                        ProcessorConfig: { Mode: "INLINE" },
                        StartAt: "Child",
                        States: { Child: { Type: "Task", Resource: "arn:aws:states:::states:startExecution.sync:2", Arguments: { StateMachineArn: "{% $states.input.machine %}" }, End: true } },
                    },
                    Next: "Notify",
                },
                Notify: { Type: "Task", Resource: "arn:aws:states:::sns:publish", Arguments: { TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:done`, Message: "{% $string($states.input) %}" }, End: true },
            },
            { QueryLanguage: "JSONata" },
        );
        const startOnly = policy({ Effect: "Allow", Action: "states:StartExecution", Resource: "*" });
        const messages = (await check(await handMade(definition, startOnly))).map((v) => v.message);
        expect(messages).to.deep.equal([
            'state "Loop > ItemProcessor > Child" (states:startExecution) calls what role pipeline\'s policies do not allow; add {"Effect":"Allow","Action":["states:DescribeExecution","states:StopExecution"],"Resource":"arn:<partition>:states:<region>:<account>:execution:<machine>:*"} ' +
                '("StateMachineArn": "{% $states.input.machine %}" picks it at run time: one for each resource it may be) and {"Effect":"Allow","Action":["events:PutTargets","events:PutRule","events:DescribeRule"],"Resource":"arn:aws:events:<region>:<account>:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"}. ' +
                "AWS's policy for it: https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html",
            `state "Notify" (sns:publish) calls what role pipeline's policies do not allow; add {"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:${ACCOUNT}:done"}. AWS's policy for it: ${SNS_DOCS}`,
        ]);
    });

    it("judges a function ARN as a task's Resource too, and takes grants from inline policies and attached policies of the stack", async () => {
        const fn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe`;
        const definition = machine({ Transcribe: { Type: "Task", Resource: fn, End: true } });
        expect((await check(await handMade(definition))).map((v) => v.message.split(";")[1])).to.deep.equal([` add {"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"${fn}"}. AWS's policy for it: https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html`]);
        const invoke = policy({ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fn });
        expect(await check(await handMade(definition, undefined, { inlinePolicies: [{ name: "invoke", policy: invoke }] }))).to.deep.equal([]);
        const attached = await synthesize({}, "test", async () => {
            const role = new aws.iam.Role("pipeline", { assumeRolePolicy: TRUST });
            const managed = new aws.iam.Policy("invoke", { policy: invoke });
            const attachment = new aws.iam.RolePolicyAttachment("invoke", { role: role.name, policyArn: managed.arn });
            const sm = new aws.sfn.StateMachine("pipeline", { roleArn: role.arn, definition }, { dependsOn: [attachment] });
            return { arn: sm.arn };
        });
        expect(await check(attached)).to.deep.equal([]);
    });

    it("does not judge a role with a policy the stack does not define, nor a role made elsewhere", async () => {
        const definition = machine({ Notify: publish(`arn:aws:sns:us-east-1:${ACCOUNT}:done`) });
        expect(await check(await handMade(definition, undefined, { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonSNSFullAccess"] }))).to.deep.equal([]);
        const elsewhere = await synthesize({}, "test", async () => ({ arn: new aws.sfn.StateMachine("pipeline", { roleArn: `arn:aws:iam::${ACCOUNT}:role/made-elsewhere`, definition }).arn }));
        expect(await check(elsewhere)).to.deep.equal([]);
    });

    it("on a first preview, notes what it cannot read yet and refuses nothing", async () => {
        const synth = await handMade(machine({ Notify: publish(`arn:aws:sns:us-east-1:${ACCOUNT}:done`) }), policy({ Effect: "Allow", Action: "sns:Publish", Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:other` }));
        const note = (what: string) => ["advisory", undefined, `can't run policy '${taskGrantsPolicy.name}' from policy pack 'iterator-workflow@v0.1.0' during preview: string value at .${what} can't be known during preview`];
        synth.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")!.inputs.policy = unknownStringValue;
        expect(found(await check(synth))).to.deep.equal([note("policy")]);
        synth.resources.find((r) => r.type === STATE_MACHINE)!.inputs.definition = unknownStringValue;
        expect(found(await check(synth))).to.deep.equal([note("definition")]);
        const component = await dev();
        component.resources.find((r) => r.type === STATE_MACHINE)!.inputs.definition = unknownStringValue;
        expect(mandatory(await check(component))).to.deep.equal([]);
    });
});
