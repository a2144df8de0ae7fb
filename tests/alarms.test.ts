// The workflow's alarms under Pulumi's mock engine: what each alarm watches and whom it tells, the
// topic (created and encrypted, or given), the status-change rule and its target, and config errors.
import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmForStatus, EXECUTION_ALARMS } from "../components/alarmDocuments";
import { IteratorWorkflow } from "../components/iteratorWorkflow";
import type { IteratorWorkflowArgs } from "../components/types";
import { ArgsError, validateArgs } from "../components/validate";
import { alarmsSetOff } from "../local/alarms";
import { ACCOUNT, readStackConfig, synthesize, type Synthesis, type SynthResource } from "../local/synth";
import { rejection } from "./helpers/errors";

const COMPONENT = "iterator-workflow:index:IteratorWorkflow::iterator";
const MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:iterator`;
const CREATED_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:iterator-alarms`;
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const json = (value: unknown) => JSON.parse(value as string);
const ofType = (synth: Synthesis, type: string) => synth.resources.filter((r) => r.type === type);

function one(synth: Synthesis, type: string, name: string): SynthResource {
    const found = synth.resources.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0];
}

const dev = (overrides: Record<string, unknown> = {}) =>
    synthesize({ ...readStackConfig("dev"), ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`iterator-workflow:${k}`, JSON.stringify(v)])) });
const SEED = [{ kind: "pass" as const, name: "Tag", resultKey: "tag", result: "t" }];
const exportsOf = (workflow: IteratorWorkflow) => ({ arn: workflow.stateMachineArn, topic: workflow.alarms?.topicArn });
const component = (args: Partial<IteratorWorkflowArgs>) => synthesize({}, "test", async () => exportsOf(new IteratorWorkflow("iterator", { steps: SEED, ...args })));

/** Each alarm as written by hand: metric, dimension, one breach of a period, the topic told. */
const expectedAlarm = (metricName: string, what: string, topic: string, period = 60) => ({
    alarmDescription: `iterator-workflow iterator: ${what} (${metricName} >= 1 in ${period} s)`,
    namespace: "AWS/States",
    metricName,
    dimensions: { StateMachineArn: MACHINE },
    statistic: "Sum",
    period,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [topic],
});

const ALARMS: [string, string, string][] = [
    ["iterator-failed", "ExecutionsFailed", "executions failed"],
    ["iterator-timed-out", "ExecutionsTimedOut", "executions timed out"],
    ["iterator-aborted", "ExecutionsAborted", "executions were stopped (aborted)"],
    ["iterator-throttled", "ExecutionThrottled", "state transitions were throttled"],
];

const KEY_ADMIN = { Sid: "AccountManagesKey", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" };
const keyUse = (Sid: string, Service: string) => ({ Sid, Effect: "Allow", Principal: { Service }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" });
const OWNER = {
    Sid: "AccountOwnsTopic",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    Action: ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
    Resource: CREATED_TOPIC,
};
const ALARMS_PUBLISH = {
    Sid: "WorkflowAlarmsPublish",
    Effect: "Allow",
    Principal: { Service: "cloudwatch.amazonaws.com" },
    Action: "sns:Publish",
    Resource: CREATED_TOPIC,
    Condition: {
        ArnLike: { "aws:SourceArn": ["aborted", "failed", "throttled", "timed-out"].map((k) => `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:iterator-${k}`) },
        StringEquals: { "aws:SourceAccount": ACCOUNT },
    },
};
const PATTERN = {
    source: ["aws.states"],
    "detail-type": ["Step Functions Execution Status Change"],
    detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [MACHINE] },
};

describe("alarms, by default (the dev stack)", () => {
    let synth: Synthesis;
    before(async () => {
        synth = await dev();
    });

    it("alarm on each execution metric of this state machine, one breach of a minute, telling the created topic", () => {
        expect(ofType(synth, ALARM).map((r) => r.name)).to.deep.equal(ALARMS.map(([name]) => name));
        for (const [name, metric, what] of ALARMS) expect(one(synth, ALARM, name).inputs, name).to.deep.equal(expectedAlarm(metric, what, CREATED_TOPIC));
    });

    it("create the topic encrypted with a customer managed key, rotated, that CloudWatch may use, and let exactly these alarms publish", () => {
        const key = one(synth, "aws:kms/key:Key", "iterator-alarms");
        expect(key.inputs).to.deep.include({ enableKeyRotation: true });
        expect(json(key.inputs.policy)).to.deep.equal({ Version: "2012-10-17", Statement: [KEY_ADMIN, keyUse("CloudWatchAlarmsEncrypt", "cloudwatch.amazonaws.com")] });
        expect(one(synth, "aws:sns/topic:Topic", "iterator-alarms").inputs).to.deep.equal({ kmsMasterKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/iterator-alarms` });
        const policy = one(synth, "aws:sns/topicPolicy:TopicPolicy", "iterator-alarms");
        expect(policy.inputs.arn).to.equal(CREATED_TOPIC);
        expect(json(policy.inputs.policy)).to.deep.equal({ Version: "2012-10-17", Statement: [OWNER, ALARMS_PUBLISH] });
    });

    it("are the component's children, forward nothing, and the stack exports the topic to subscribe to", () => {
        for (const r of synth.resources.filter((r) => /^aws:(cloudwatch\/metricAlarm|sns|kms)/.test(r.type))) expect(r.parent, `${r.type} ${r.name}`).to.equal(COMPONENT);
        expect(ofType(synth, "aws:cloudwatch/eventRule:EventRule")).to.deep.equal([]);
        expect(synth.outputs.alarmTopicArn).to.equal(CREATED_TOPIC);
    });
});

describe("alarms, as asked", () => {
    it("notify a topic given by ARN, creating no topic, key or topic policy, over the period asked", async () => {
        const given = `arn:aws:sns:us-east-1:${ACCOUNT}:ops`;
        const synth = await dev({ alarms: { topic: given, periodSeconds: 300 } });
        for (const [name, metric, what] of ALARMS) expect(one(synth, ALARM, name).inputs).to.deep.equal(expectedAlarm(metric, what, given, 300));
        expect(synth.resources.filter((r) => /^aws:(sns|kms)\//.test(r.type))).to.deep.equal([]);
        expect(synth.outputs.alarmTopicArn).to.equal(given);
    });

    it("notify an aws.sns.Topic given as a resource, by its ARN", async () => {
        const own = await synthesize({}, "test", async () => {
            const ops = new aws.sns.Topic("ops", {});
            return exportsOf(new IteratorWorkflow("iterator", { steps: SEED, alarms: { topic: ops } }));
        });
        expect(ofType(own, "aws:sns/topic:Topic").map((r) => r.name)).to.deep.equal(["ops"]);
        expect(one(own, ALARM, "iterator-failed").inputs.alarmActions).to.deep.equal([`arn:aws:sns:us-east-1:${ACCOUNT}:ops`]);
    });

    it("carry the user's tags on the key, the topic, every alarm and the rule", async () => {
        const synth = await component({ tags: { team: "media" }, alarms: { statusChanges: true } });
        const tagged = synth.resources.filter((r) => ["aws:kms/key:Key", "aws:sns/topic:Topic", ALARM, "aws:cloudwatch/eventRule:EventRule"].includes(r.type));
        expect(tagged).to.have.length(7);
        for (const r of tagged) expect(r.inputs.tags, `${r.type} ${r.name}`).to.deep.equal({ team: "media" });
    });

    it("forward FAILED, TIMED_OUT and ABORTED executions of this machine to the alarm topic, which the rule alone may publish to besides the alarms", async () => {
        const synth = await dev({ alarms: { statusChanges: true } });
        const rule = one(synth, "aws:cloudwatch/eventRule:EventRule", "iterator-status-changes");
        expect(json(rule.inputs.eventPattern)).to.deep.equal(PATTERN);
        expect(rule.parent).to.equal(COMPONENT);
        expect(one(synth, "aws:cloudwatch/eventTarget:EventTarget", "iterator-status-changes").inputs).to.deep.equal({ rule: "iterator-status-changes", arn: CREATED_TOPIC });
        const events = { Sid: "StatusChangesPublish", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: CREATED_TOPIC, Condition: { ArnEquals: { "aws:SourceArn": `arn:aws:events:us-east-1:${ACCOUNT}:rule/iterator-status-changes` } } };
        expect(json(one(synth, "aws:sns/topicPolicy:TopicPolicy", "iterator-alarms").inputs.policy).Statement).to.deep.equal([OWNER, ALARMS_PUBLISH, events]);
        expect(json(one(synth, "aws:kms/key:Key", "iterator-alarms").inputs.policy).Statement).to.deep.equal([KEY_ADMIN, keyUse("CloudWatchAlarmsEncrypt", "cloudwatch.amazonaws.com"), keyUse("EventBridgeEncrypts", "events.amazonaws.com")]);
        expect(ofType(synth, "aws:lambda/permission:Permission")).to.deep.equal([]);
    });

    it("forward them to a Lambda function, which the rule alone may invoke", async () => {
        const fn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:on-failure`;
        const synth = await dev({ alarms: { statusChanges: { target: fn } } });
        expect(one(synth, "aws:cloudwatch/eventTarget:EventTarget", "iterator-status-changes").inputs).to.deep.equal({ rule: "iterator-status-changes", arn: fn });
        expect(one(synth, "aws:lambda/permission:Permission", "iterator-status-changes").inputs).to.deep.equal({
            action: "lambda:InvokeFunction",
            function: fn,
            principal: "events.amazonaws.com",
            sourceArn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/iterator-status-changes`,
        });
        // The topic still tells of the alarms only.
        expect(json(one(synth, "aws:sns/topicPolicy:TopicPolicy", "iterator-alarms").inputs.policy).Statement).to.deep.equal([OWNER, ALARMS_PUBLISH]);
    });

    it("are none with alarms: false, and the stack exports no topic", async () => {
        const synth = await dev({ alarms: false });
        expect(synth.resources.filter((r) => /^aws:(sns|kms|cloudwatch\/(metricAlarm|event))/.test(r.type))).to.deep.equal([]);
        expect(synth.outputs).not.to.have.property("alarmTopicArn");
    });

    it("also watch an EXPRESS workflow's executions", async () => {
        const synth = await component({ type: "EXPRESS", alarms: { periodSeconds: 120 } });
        expect(ofType(synth, ALARM).map((r) => r.inputs.metricName)).to.deep.equal(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionThrottled"]);
    });
});

describe("alarm settings that are wrong", () => {
    const bad: [string, unknown, string, string?][] = [
        ["a word", "sometimes", 'alarms: must be true, false or {topic, periodSeconds, statusChanges}, got "sometimes"'],
        ["an unknown key", { topics: [] }, "alarms.topics: unknown key; expected one of topic, periodSeconds, statusChanges"],
        ["a topic that is not an SNS topic ARN", { topic: "ops" }, 'alarms.topic: must be an aws.sns.Topic or an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got "ops"'],
        ["a period that is not whole minutes", { periodSeconds: 90 }, "alarms.periodSeconds: must be a multiple of 60 from 60 to 86400 (Step Functions sends its metrics once a minute), got 90"],
        ["a status-change target that is a queue", { statusChanges: { target: `arn:aws:sqs:us-east-1:${ACCOUNT}:failures` } }, "alarms.statusChanges.target: an SQS queue takes EventBridge's events only through its resource policy, which the component would have to replace; use statusChanges: true (the alarm topic, which you can subscribe the queue to) or a Lambda function"],
        ["a status-change target that is not a function", { statusChanges: { target: "on-failure" } }, 'alarms.statusChanges.target: must be a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]); "on-failure" is not an ARN'],
        ["a status-change target left out", { statusChanges: {} }, "alarms.statusChanges.target: is required: a Lambda function (aws.lambda.Function or ARN); use statusChanges: true for the alarm topic"],
        ["status changes from an EXPRESS workflow", { statusChanges: true }, "alarms.statusChanges: EXPRESS workflows send no execution status change events to EventBridge; leave it out (the alarms still count their failures)", "EXPRESS"],
    ];
    for (const [what, alarms, message, type] of bad) {
        it(`refuses ${what}, in one line naming the field, from code and from stack config`, async () => {
            expect(() => validateArgs({ steps: SEED, alarms, ...(type ? { type, handOver: false } : {}) })).to.throw(ArgsError).with.property("message", message);
            const config: Record<string, unknown> = { alarms, ...(type ? { type, handOver: false } : {}) };
            const err = await rejection(dev(config));
            expect(pulumi.RunError.isInstance(err), String(err)).to.equal(true);
            expect(err.message).to.equal(`config iterator-workflow:${message}`);
        });
    }
});

describe("which alarm an execution's end counts towards", () => {
    it("maps FAILED, TIMED_OUT and ABORTED to their metrics, and SUCCEEDED to none", () => {
        expect(["FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED"].map((s) => alarmForStatus(s)?.metricName)).to.deep.equal(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", undefined]);
        expect(EXECUTION_ALARMS.map((a) => a.key)).to.deep.equal(["failed", "timed-out", "aborted", "throttled"]);
    });
});

describe("which alarms a failed local run would have set off in AWS", () => {
    it("a chain of two FAILED executions: ExecutionsFailed +2, the dev stack's failed alarm, telling the created topic", async () => {
        const synth = await dev();
        expect(alarmsSetOff(synth.resources, MACHINE, ["FAILED", "FAILED", "SUCCEEDED"])).to.deep.equal([
            `in AWS: ExecutionsFailed +2 (2 execution(s) FAILED); alarm iterator-failed would go to ALARM, notifying ${CREATED_TOPIC}`,
        ]);
    });

    it("says no alarm watches it with alarms: false, and nothing for a run that succeeded", async () => {
        const synth = await dev({ alarms: false });
        expect(alarmsSetOff(synth.resources, MACHINE, ["FAILED"])).to.deep.equal(["in AWS: ExecutionsFailed +1 (1 execution(s) FAILED); no alarm of the program watches it (alarms: false?)"]);
        expect(alarmsSetOff((await dev()).resources, MACHINE, ["SUCCEEDED"])).to.deep.equal([]);
    });

    it("counts only alarms on this state machine", async () => {
        const synth = await dev();
        expect(alarmsSetOff(synth.resources, `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:other`, ["FAILED"])[0]).to.contain("no alarm of the program watches it");
    });
});
