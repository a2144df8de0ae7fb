// The workflow's alarms as Pulumi resources, all children of the component: one CloudWatch alarm per
// execution metric in EXECUTION_ALARMS, the SNS topic they notify (given, or created with its own
// customer managed key and policy), and optionally an EventBridge rule that forwards each execution
// that ended badly.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ALARM_SETTINGS, DEFAULT_PERIOD_SECONDS, EXECUTION_ALARMS, statusChangePattern, topicKeyPolicy, topicPolicy, type ExecutionAlarm } from "./alarmDocuments";
import type { AlarmsArgs } from "./types";

export interface WorkflowAlarms {
    /** The topic every alarm notifies: what to subscribe to. */
    topicArn: pulumi.Output<string>;
    /** Created when no topic is given, with the key it is encrypted with. */
    topic?: aws.sns.Topic;
    topicKey?: aws.kms.Key;
    /** One per entry of EXECUTION_ALARMS, in that order, with the metric it watches. */
    alarms: { metricName: ExecutionAlarm["metricName"]; alarm: aws.cloudwatch.MetricAlarm }[];
    /** Forwards FAILED, TIMED_OUT and ABORTED executions, when asked to. */
    statusChangeRule?: aws.cloudwatch.EventRule;
}

export interface AlarmContext {
    stateMachineArn: pulumi.Output<string>;
    partition: pulumi.Output<string>;
    account: pulumi.Output<string>;
    tags?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}

export function workflowAlarms(name: string, args: AlarmsArgs, ctx: AlarmContext, parent: pulumi.Resource): WorkflowAlarms {
    const opts = { parent };
    const tags = ctx.tags;
    const forward = args.statusChanges;
    const toTopic = forward === true;

    let topic: aws.sns.Topic | undefined;
    let topicKey: aws.kms.Key | undefined;
    let topicArn: pulumi.Output<string>;
    if (args.topic === undefined) {
        topicKey = new aws.kms.Key(
            `${name}-alarms`,
            {
                description: `iterator-workflow ${name}: encrypts the alarm topic, usable by CloudWatch alarms${toTopic ? " and EventBridge" : ""}`,
                enableKeyRotation: true,
                policy: pulumi.all([ctx.partition, ctx.account]).apply(([partition, account]) => JSON.stringify(topicKeyPolicy(partition, account, toTopic))),
                tags,
            },
            opts,
        );
        topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: topicKey.arn, tags }, opts);
        topicArn = topic.arn;
    } else {
        topicArn = aws.sns.Topic.isInstance(args.topic) ? args.topic.arn : pulumi.output(args.topic);
    }

    const period = args.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
    const alarms = EXECUTION_ALARMS.map((spec) => ({
        metricName: spec.metricName,
        alarm: new aws.cloudwatch.MetricAlarm(
            `${name}-${spec.key}`,
            {
                alarmDescription: `iterator-workflow ${name}: ${spec.what} (${spec.metricName} >= 1 in ${period} s)`,
                ...ALARM_SETTINGS,
                metricName: spec.metricName,
                period,
                dimensions: { StateMachineArn: ctx.stateMachineArn },
                alarmActions: [topicArn],
                tags,
            },
            opts,
        ),
    }));

    let statusChangeRule: aws.cloudwatch.EventRule | undefined;
    if (forward !== undefined && forward !== false) {
        statusChangeRule = new aws.cloudwatch.EventRule(
            `${name}-status-changes`,
            { description: `iterator-workflow ${name}: executions that ended FAILED, TIMED_OUT or ABORTED`, eventPattern: ctx.stateMachineArn.apply((arn) => JSON.stringify(statusChangePattern(arn))), tags },
            opts,
        );
        const rule = statusChangeRule;
        if (toTopic) {
            new aws.cloudwatch.EventTarget(`${name}-status-changes`, { rule: rule.name, arn: topicArn }, opts);
        } else {
            const target = forward.target;
            const functionArn = aws.lambda.Function.isInstance(target) ? target.arn : pulumi.output(target);
            // Lambda's resource policy takes statements one by one: this adds EventBridge's, for this rule only.
            const permission = new aws.lambda.Permission(`${name}-status-changes`, { action: "lambda:InvokeFunction", function: functionArn, principal: "events.amazonaws.com", sourceArn: rule.arn }, opts);
            new aws.cloudwatch.EventTarget(`${name}-status-changes`, { rule: rule.name, arn: functionArn }, { parent, dependsOn: [permission] });
        }
    }

    if (topic !== undefined) {
        const own = topic;
        new aws.sns.TopicPolicy(
            `${name}-alarms`,
            {
                arn: own.arn,
                policy: pulumi
                    .all([own.arn, ctx.account, ctx.partition, pulumi.all(alarms.map((a) => a.alarm.arn)), toTopic ? statusChangeRule!.arn : pulumi.output(undefined)])
                    .apply(([arn, account, partition, alarmArns, ruleArn]) => JSON.stringify(topicPolicy(arn, account, partition, alarmArns, ruleArn))),
            },
            opts,
        );
    }
    return { topicArn, topic, topicKey, alarms, statusChangeRule };
}
