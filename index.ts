// The Pulumi program: one IteratorWorkflow built from the stack's config (Pulumi.<stack>.yaml).
import * as pulumi from "@pulumi/pulumi";
import { IteratorWorkflow } from "./components/iteratorWorkflow";
import { argsFromConfig } from "./components/stackConfig";
import { ArgsError } from "./components/validate";

/** The seed's input, without `done` flags: this workflow does not need them. */
const EXAMPLE_INPUT = { jobs: [{ name: "First job" }, { name: "Second job" }] };

export = async () => {
    let args;
    try {
        args = argsFromConfig(pulumi.runtime.allConfig());
    } catch (err) {
        if (err instanceof ArgsError) throw configError(err.message);
        throw err;
    }
    const workflow = new IteratorWorkflow("iterator", args);
    return {
        stateMachineArn: workflow.stateMachineArn,
        stateMachineName: workflow.stateMachineName,
        // Only the iterator strategy has one.
        ...(workflow.moveToEndFunction ? { moveToEndFunctionName: workflow.moveToEndFunction.name } : {}),
        capacity: workflow.capacity,
        // Subscribe to it (email, chat, a queue) to hear of failed executions; absent with alarms: false.
        ...(workflow.alarms ? { alarmTopicArn: workflow.alarms.topicArn } : {}),
        definition: workflow.definition,
        startExecutionCommand: pulumi.interpolate`aws stepfunctions start-execution --state-machine-arn ${workflow.stateMachineArn} --input '${JSON.stringify(EXAMPLE_INPUT)}'`,
    };
};

/**
 * The one line `pulumi preview` prints for a bad config value. Its stack is just that line: Pulumi never
 * shows a RunError's stack, yet @pulumi/pulumi/cmd/run formats it with util.inspect(err, {colors: true}),
 * which on Node 22.23 spins for about 20 s and 1 GB on the SDK's source-mapped frames
 * (".../node_modules/@pulumi/resource.ts"; https://github.com/nodejs/node/issues/64011).
 */
function configError(message: string): pulumi.RunError {
    const error = new pulumi.RunError(`config ${message}`);
    error.stack = `${error.name}: ${error.message}`;
    return error;
}
