// Checks the `alarms` argument (from code or from the stack config key iterator-workflow:alarms) and
// says what is wrong in one line naming the field. Values still being Pulumi Inputs are let through.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { targetProblem } from "./arns";

export interface AlarmArgsProblem {
    /** e.g. `alarms.statusChanges.target` */
    field: string;
    problem: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const later = (v: unknown) => pulumi.Output.isInstance(v) || v instanceof Promise;
const show = (v: unknown) => (pulumi.Resource.isInstance(v) ? `a resource of class ${v.constructor.name}` : (JSON.stringify(v) ?? String(v)).slice(0, 80));

const KEYS = ["topic", "periodSeconds", "statusChanges"];
const TOPIC = /^arn:[\w-]+:sns:[a-z]+(-[a-z]+)+-\d+:\d{12}:[\w-]{1,256}$/;

/** What an SQS queue or another service's ARN would need, and why it is not taken. */
function unsupportedTarget(arn: string): string | undefined {
    const service = arn.split(":")[2];
    switch (service) {
        case "sqs":
        case "sns":
            // Their resource policy is one document: the component would have to replace the owner's.
            return `an ${service === "sqs" ? "SQS queue" : "SNS topic"} takes EventBridge's events only through its resource policy, which the component would have to replace; use statusChanges: true (the alarm topic, which you can subscribe the ${service === "sqs" ? "queue" : "topic"} to) or a Lambda function`;
        default:
            return undefined;
    }
}

/** The first thing wrong with `alarms`, or undefined. `type` is the workflow's (STANDARD by default). */
export function alarmArgsProblem(value: unknown, type: unknown): AlarmArgsProblem | undefined {
    if (value === undefined || typeof value === "boolean") return undefined;
    if (!isObj(value)) return { field: "alarms", problem: `must be true, false or {topic, periodSeconds, statusChanges}, got ${show(value)}` };
    const unknownKey = Object.keys(value).find((k) => !KEYS.includes(k));
    if (unknownKey !== undefined) return { field: `alarms.${unknownKey}`, problem: `unknown key; expected one of ${KEYS.join(", ")}` };

    const topic = value.topic;
    if (topic !== undefined && !aws.sns.Topic.isInstance(topic) && !later(topic) && !(typeof topic === "string" && TOPIC.test(topic))) {
        return { field: "alarms.topic", problem: `must be an aws.sns.Topic or an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got ${show(topic)}` };
    }
    const period = value.periodSeconds;
    if (period !== undefined && (typeof period !== "number" || !Number.isInteger(period) || period < 60 || period > 86_400 || period % 60 !== 0)) {
        // Step Functions' metrics are standard resolution: one data point a minute.
        return { field: "alarms.periodSeconds", problem: `must be a multiple of 60 from 60 to 86400 (Step Functions sends its metrics once a minute), got ${show(period)}` };
    }

    const forward = value.statusChanges;
    if (forward === undefined || forward === false) return undefined;
    if (type === "EXPRESS") return { field: "alarms.statusChanges", problem: "EXPRESS workflows send no execution status change events to EventBridge; leave it out (the alarms still count their failures)" };
    if (forward === true) return undefined;
    if (!isObj(forward)) return { field: "alarms.statusChanges", problem: `must be true, false or {target}, got ${show(forward)}` };
    const extra = Object.keys(forward).find((k) => k !== "target");
    if (extra !== undefined) return { field: `alarms.statusChanges.${extra}`, problem: "unknown key; expected target" };
    const target = forward.target;
    if (target === undefined) return { field: "alarms.statusChanges.target", problem: "is required: a Lambda function (aws.lambda.Function or ARN); use statusChanges: true for the alarm topic" };
    if (aws.lambda.Function.isInstance(target) || later(target)) return undefined;
    if (typeof target === "string") {
        const refused = target.startsWith("arn:") ? unsupportedTarget(target) : undefined;
        if (refused !== undefined) return { field: "alarms.statusChanges.target", problem: refused };
        const problem = targetProblem(target, "function");
        return problem === undefined ? undefined : { field: "alarms.statusChanges.target", problem };
    }
    return { field: "alarms.statusChanges.target", problem: `must be an aws.lambda.Function or a Lambda function ARN, got ${show(target)}` };
}
