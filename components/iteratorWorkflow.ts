// The IteratorWorkflow component: thin Pulumi wiring around the pure builders in this folder.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { computeCapacity, runtimeSettings, storeRuntime, type Capacity } from "./capacity";
import { buildDefinition } from "./definition";
import { buildMapDefinition } from "./mapDefinition";
import { assumeRolePolicy, functionPolicy, handOverPolicy, stateMachinePolicy, type Statement } from "./iam";
import { jobStore, type JobStore } from "./jobStore";
import { moveToEndArchive } from "./moveToEndCode";
import { workflowAlarms, type WorkflowAlarms } from "./alarms";
import { taskMayNeedGrants, withIntegrationGrants } from "./stepGrants";
import { stepFunctionArns, type StepSpec } from "./steps";
import type { IteratorWorkflowArgs, PolicyStatement, StepArgs } from "./types";
import { oneLineError } from "./errors";
import { ArgsError, validateArgs } from "./validate";
import { factsToTags } from "./workflowTags";

export const COMPONENT_TYPE = "iterator-workflow:index:IteratorWorkflow";

/** Resolves a step's Pulumi Inputs into the plain spec the builders take. */
export function resolveStep(step: StepArgs): pulumi.Output<StepSpec> {
    switch (step.kind) {
        case "pass":
            return pulumi.output({ ...step });
        case "lambda": {
            const { function: fn, ...rest } = step;
            const arn = aws.lambda.Function.isInstance(fn) ? fn.arn : pulumi.output(fn);
            return arn.apply((functionArn) => ({ ...rest, functionArn }));
        }
        case "activity": {
            const { activity, ...rest } = step;
            const arn = aws.sfn.Activity.isInstance(activity) ? activity.arn : pulumi.output(activity);
            return arn.apply((activityArn) => ({ ...rest, activityArn }));
        }
        case "task": {
            const { policyStatements: _grants, ...rest } = step;
            return pulumi.output(rest) as pulumi.Output<StepSpec>;
        }
    }
}

/**
 * A step as the budgets see it. ARNs change neither a step's history events nor its result's size,
 * so they are left out: they are unknown during a first preview, and the capacity, and the tags the
 * policy pack reads, must not be.
 */
export function costOf(step: StepArgs): pulumi.Output<StepSpec> {
    switch (step.kind) {
        case "lambda": {
            const { function: _fn, ...rest } = step;
            return pulumi.output({ ...rest, functionArn: "" });
        }
        case "activity": {
            const { activity: _activity, ...rest } = step;
            return pulumi.output({ ...rest, activityArn: "" });
        }
        case "pass":
        case "task":
            return resolveStep(step);
    }
}

function resolveStatements(steps: StepArgs[]): pulumi.Output<Statement[]> {
    const declared: PolicyStatement[] = steps.flatMap((s) => (s.kind === "task" ? (s.policyStatements ?? []) : []));
    return pulumi.output(declared).apply((list) => list.map((s) => ({ ...s, Effect: s.Effect ?? "Allow" }) as Statement));
}

/**
 * An AWS Step Functions workflow that takes a list of jobs, known only at run time, and runs every job
 * through the same ordered steps, one after another, storing each step's result on its job.
 *
 * Start an execution with `{"jobs": [ ... ]}` (jobs inline) or `{"jobsFrom": {"bucket", "key"}}` (a
 * JSON Lines object in the job store, for lists of any size). It creates the state machine, its role
 * (allowed exactly what the steps need), a log group, the MoveToEnd Lambda function that keeps the
 * list's bookkeeping (iterator strategy), a private job store bucket, and alarms with a topic.
 *
 * @example
 * const meetings = new IteratorWorkflow("meetings", {
 *     steps: [{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: transcribe, maxResultBytes: 200 }],
 *     limits: { maxJobs: 500, maxJobBytes: 300 },
 * });
 * export const stateMachineArn = meetings.stateMachineArn;
 */
export class IteratorWorkflow extends pulumi.ComponentResource {
    /** The state machine. */
    public readonly stateMachine: aws.sfn.StateMachine;
    /** The state machine's ARN: what `aws stepfunctions start-execution --state-machine-arn` takes. */
    public readonly stateMachineArn: pulumi.Output<string>;
    /** The state machine's name, as the console lists it. */
    public readonly stateMachineName: pulumi.Output<string>;
    /** The iterator strategy's MoveToEnd function; the map strategy has none. */
    public readonly moveToEndFunction?: aws.lambda.Function;
    /** MoveToEnd's role: its own logs and, with a job store, reading jobs and writing results; nothing else. */
    public readonly moveToEndRole?: aws.iam.Role;
    /** The role the state machine runs as: the steps' functions and integrations, by exact ARN. */
    public readonly stateMachineRole: aws.iam.Role;
    /** The ASL the state machine runs, as deployed (JSON text). */
    public readonly definition: pulumi.Output<string>;
    /**
     * Jobs one execution can take under AWS's history limit (25,000 events) and payload limit
     * (262,144 bytes), for the declared `limits`; the largest state; the figures of a run by reference.
     */
    public readonly capacity: pulumi.Output<Capacity>;
    /** The alarms on the state machine's executions and the topic they notify; absent with `alarms: false`. */
    public readonly alarms?: WorkflowAlarms;
    /** Where executions started with `jobsFrom` read their jobs and write their results; absent with `jobStore: false` or the map strategy. */
    public readonly jobStore?: JobStore;

    /**
     * @param name The workflow's name: the state machine's, and the prefix of every resource it creates.
     * @param args The steps, and how jobs are handled: see {@link IteratorWorkflowArgs}. Checked at once:
     *   a bad argument stops `pulumi preview` with one line naming it.
     * @param opts Pulumi's resource options for the component (a parent, a provider, ...).
     */
    constructor(name: string, args: IteratorWorkflowArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COMPONENT_TYPE, name, {}, opts);
        try {
            validateArgs(args);
        } catch (err) {
            // `pulumi preview` prints the one line, without a stack trace.
            if (err instanceof ArgsError) throw oneLineError(`IteratorWorkflow "${name}": ${err.message}`);
            throw err;
        }
        const parent = { parent: this };
        const type = args.type ?? "STANDARD";
        const strategy = args.strategy ?? "iterator";
        const handOver = strategy === "iterator" ? (args.handOver ?? type === "STANDARD") : false;
        const onJobError = args.onJobError ?? "fail";
        const logLevel = args.logging?.level ?? "ERROR";
        const logging = logLevel !== "OFF";
        const tracing = args.tracing ?? false;
        const retentionInDays = args.logging?.retentionInDays ?? 30;
        const userTags = args.tags;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        // aws, aws-cn or aws-us-gov: integration ARNs in the definition name it, as IAM ARNs do.
        const partition = aws.getPartitionOutput({}, parent).partition;
        // The region ARNs built from a name (a table, a function, a managed rule) live in.
        const region = aws.getRegionOutput({}, parent).region;

        if (strategy === "iterator" && args.jobStore !== false) this.jobStore = jobStore(name, args.jobStore ?? {}, partition, userTags, parent);
        const store = this.jobStore;

        if (strategy === "iterator") {
            // MoveToEnd: its own role, allowed only to write to its own log group and, with a job store,
            // to read jobs under its input prefix and write results under its results prefix.
            const functionLogGroup = new aws.cloudwatch.LogGroup(`${name}-move-to-end`, { retentionInDays, tags: userTags }, parent);
            this.moveToEndRole = new aws.iam.Role(`${name}-move-to-end`, { assumeRolePolicy: JSON.stringify(assumeRolePolicy("lambda.amazonaws.com")), tags: userTags }, parent);
            const storeGrant = store ? store.bucketArn.apply((bucketArn) => ({ bucketArn, inputPrefix: store.inputPrefix, resultsPrefix: store.resultsPrefix })) : pulumi.output(undefined);
            const functionRolePolicy = new aws.iam.RolePolicy(
                `${name}-move-to-end`,
                { role: this.moveToEndRole.id, policy: pulumi.all([functionLogGroup.arn, storeGrant]).apply(([arn, grant]) => JSON.stringify(functionPolicy(arn, grant))) },
                parent,
            );
            this.moveToEndFunction = new aws.lambda.Function(
                `${name}-move-to-end`,
                {
                    description: "iterator-workflow: marks jobs[0] done and moves it to the end of the list",
                    runtime: aws.lambda.Runtime.NodeJS22dX,
                    architectures: ["arm64"],
                    memorySize: 128,
                    timeout: 10,
                    handler: "index.handler",
                    role: this.moveToEndRole.arn,
                    code: new pulumi.asset.AssetArchive(Object.fromEntries(Object.entries(moveToEndArchive()).map(([file, text]) => [file, new pulumi.asset.StringAsset(text)]))),
                    loggingConfig: { logFormat: "JSON", logGroup: functionLogGroup.name },
                    tags: userTags,
                },
                { parent: this, dependsOn: [functionRolePolicy] },
            );
        }
        const moveToEndArn: pulumi.Output<string | undefined> = this.moveToEndFunction?.arn ?? pulumi.output(undefined);

        const steps = pulumi.all(args.steps.map(resolveStep));
        const capacityOptions = { strategy, onJobError, handOver, maxConcurrency: args.maxConcurrency, jobStore: args.jobStore === undefined ? undefined : args.jobStore && { ...args.jobStore, bucket: undefined } };
        this.capacity = pulumi.all(args.steps.map(costOf)).apply((costs) => computeCapacity(costs, type, args.limits, capacityOptions));
        const bucketName = store?.bucket ?? pulumi.output(undefined);
        this.definition = pulumi.all([steps, moveToEndArn, this.capacity, partition, bucketName]).apply(([resolved, fnArn, capacity, partitionName, bucket]) => {
            const definition =
                strategy === "map"
                    ? buildMapDefinition({ steps: resolved, onJobError, maxConcurrency: args.maxConcurrency ?? 1, timeoutSeconds: args.timeoutSeconds })
                    : buildDefinition({
                          steps: resolved,
                          moveToEndArn: fnArn!,
                          onJobError,
                          settings: runtimeSettings(resolved, onJobError, capacity.jobsPerExecution, bucket === undefined ? undefined : storeRuntime(resolved, args.limits ?? {}, capacityOptions, capacity.jobsPerExecution, bucket)),
                          partition: partitionName,
                          timeoutSeconds: args.timeoutSeconds,
                      });
            return JSON.stringify(definition, null, 2);
        });

        this.stateMachineRole = new aws.iam.Role(
            `${name}-states`,
            { assumeRolePolicy: account.apply((id) => JSON.stringify(assumeRolePolicy("states.amazonaws.com", id))), tags: userTags },
            parent,
        );
        // IAM refuses a policy without statements; whether there are any is known before any ARN is.
        const grants = strategy === "iterator" || logging || tracing || args.steps.some((s) => s.kind === "lambda" || (s.kind === "task" && ((s.policyStatements?.length ?? 0) > 0 || taskMayNeedGrants(s))));
        const stateMachineRolePolicy = grants
            ? new aws.iam.RolePolicy(
                  `${name}-states`,
                  {
                      role: this.stateMachineRole.id,
                      policy: pulumi.all([steps, moveToEndArn, withIntegrationGrants(steps, resolveStatements(args.steps), region, account)]).apply(([resolved, fnArn, taskStatements]) =>
                          JSON.stringify(
                              stateMachinePolicy({
                                  functionArns: [...(fnArn ? [fnArn] : []), ...resolved.flatMap(stepFunctionArns)],
                                  taskStatements,
                                  logging,
                                  tracing,
                              }),
                          ),
                      ),
                  },
                  parent,
              )
            : undefined;
        const logGroup = logging
            ? new aws.cloudwatch.LogGroup(`${name}-states`, { namePrefix: `/aws/vendedlogs/states/${name}-`, retentionInDays, tags: userTags }, parent)
            : undefined;

        // Step Functions checks the role's logging rights when the machine is created: the policy goes first.
        this.stateMachine = new aws.sfn.StateMachine(
            name,
            {
                type,
                roleArn: this.stateMachineRole.arn,
                definition: this.definition,
                loggingConfiguration: logGroup
                    ? { level: logLevel, includeExecutionData: args.logging?.includeExecutionData ?? false, logDestination: pulumi.interpolate`${logGroup.arn}:*` }
                    : { level: "OFF" },
                tracingConfiguration: { enabled: tracing },
                tags: pulumi.all([userTags, this.capacity]).apply(([own, capacity]) => ({
                    ...own,
                    ...factsToTags({
                        strategy,
                        maxJobs: args.limits?.maxJobs,
                        maxJobBytes: args.limits?.maxJobBytes,
                        growthPerJobBytes: capacity.growthPerJobBytes,
                        transientBytes: capacity.transientBytes,
                        taskOverheadBytes: capacity.taskOverheadBytes,
                        historyEventsPerJob: capacity.historyEventsPerJob,
                        fixedHistoryEvents: capacity.fixedHistoryEvents,
                        jobsPerExecution: capacity.jobsPerExecution ?? undefined,
                        windowJobs: capacity.byReference?.windowJobs,
                        lineBytes: capacity.byReference?.maxLineBytes,
                    }),
                })),
            },
            { parent: this, dependsOn: stateMachineRolePolicy ? [stateMachineRolePolicy] : [] },
        );
        this.stateMachineArn = this.stateMachine.arn;
        if (handOver) {
            // Apart from the role's main policy because it names the state machine, which needs the role first.
            new aws.iam.RolePolicy(
                `${name}-states-handover`,
                { role: this.stateMachineRole.id, policy: this.stateMachine.arn.apply((arn) => JSON.stringify(handOverPolicy(arn))) },
                parent,
            );
        }
        this.stateMachineName = this.stateMachine.name;
        if (args.alarms !== false) {
            const alarmArgs = typeof args.alarms === "object" ? args.alarms : {};
            this.alarms = workflowAlarms(name, alarmArgs, { stateMachineArn: this.stateMachine.arn, partition, account, tags: userTags }, this);
        }

        this.registerOutputs({
            stateMachineArn: this.stateMachineArn,
            stateMachineName: this.stateMachineName,
            moveToEndFunctionName: this.moveToEndFunction?.name,
            definition: this.definition,
            capacity: this.capacity,
        });
    }
}
