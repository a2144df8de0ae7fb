// The Pulumi program: one IteratorWorkflow built from the stack's config (Pulumi.<stack>.yaml).
import * as pulumi from "@pulumi/pulumi";
import { IteratorWorkflow } from "./components/iteratorWorkflow";
import { argsFromConfig } from "./components/stackConfig";
import { ArgsError } from "./components/validate";
import { oneLineError } from "./components/errors";

/** The seed's input, without `done` flags: this workflow does not need them. */
const EXAMPLE_INPUT = { jobs: [{ name: "First job" }, { name: "Second job" }] };

export = async () => {
    let args;
    try {
        args = argsFromConfig(pulumi.runtime.allConfig());
    } catch (err) {
        if (err instanceof ArgsError) throw oneLineError(`config ${err.message}`);
        throw err;
    }
    const workflow = new IteratorWorkflow("iterator", args);
    return {
        stateMachineArn: workflow.stateMachineArn,
        stateMachineName: workflow.stateMachineName,
        // Only the iterator strategy has one.
        ...(workflow.moveToEndFunction ? { moveToEndFunctionName: workflow.moveToEndFunction.name } : {}),
        capacity: workflow.capacity,
        // Upload lists by reference here, under input/; absent with jobStore: false.
        ...(workflow.jobStore ? { jobStoreBucket: workflow.jobStore.bucket } : {}),
        // Subscribe to it (email, chat, a queue) to hear of failed executions; absent with alarms: false.
        ...(workflow.alarms ? { alarmTopicArn: workflow.alarms.topicArn } : {}),
        definition: workflow.definition,
        startExecutionCommand: pulumi.interpolate`aws stepfunctions start-execution --state-machine-arn ${workflow.stateMachineArn} --input '${JSON.stringify(EXAMPLE_INPUT)}'`,
    };
};
