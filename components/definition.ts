// Builds the state machine's ASL from resolved steps. Pure: same spec, same definition, no Pulumi.
//
//   Prepare ─▶ NextJob ─(bookkeeping gone)─▶ Done
//                 │ ▲
//                 ▼ └──── MoveToEnd ◀── step N ◀── … ◀── step 1
//
// Prepare (the MoveToEnd function, action "start") validates the input and brings the first
// unfinished job to jobs[0]; the steps work on jobs[0]; MoveToEnd marks it done, rotates it to the
// end and skips finished jobs. When none is left it restores the caller's order and drops the
// bookkeeping field, which is all NextJob looks at: no `done:false` is needed, an empty list ends at once.
//
// A hand-over (Standard, before the history limit) starts this same state machine on the unfinished
// jobs and waits for it:
//
//   NextJob ─▶ HandOver ─────────────────────────────────────────▶ Merge ─▶ NextJob
//                 │ (ExecutionAlreadyExists: a retry or a redrive)    ▲
//                 ▼                                                   │
//              ResumeChild ─(redriven)─▶ HandOver                     │
//                 │ (not redrivable)                                  │
//                 ▼                                                   │
//              ReadChild ─▶ ChildFinished ─(succeeded)─▶ TakeChildOutput
//                              ├─(running)─▶ HandOver
//                              └─(failed for good)─▶ ChildLost
//
// The new execution's name is derived from this execution's ARN, so a retried or redriven HandOver
// finds the execution it started instead of starting a second one on the same jobs: StartExecution
// with the same name and input waits on it while it runs, and a failed one is redriven from where it
// stopped, so no finished job is done again.
import { INVALID_INPUT, ITERATOR_FIELD, PAYLOAD_TOO_LARGE, STARTED_BY_FIELD, type Settings } from "../functions/moveToEnd";
import { compact, HEAD_JOB, LAMBDA_TRANSIENT_RETRY, stepChain, type Json, type Retrier, type StepSpec } from "./steps";

export const STATE = {
    prepare: "Prepare",
    nextJob: "NextJob",
    moveToEnd: "MoveToEnd",
    done: "Done",
    readError: "ReadError",
    failed: "Failed",
    handOver: "HandOver",
    resumeChild: "ResumeChild",
    readChild: "ReadChild",
    childFinished: "ChildFinished",
    takeChildOutput: "TakeChildOutput",
    childLost: "ChildLost",
    merge: "Merge",
} as const;

/** The new execution of a hand-over failed and can no longer be redriven. */
export const HANDOVER_LOST = "IteratorWorkflow.HandOverLost";

export type OnJobError = "fail" | "record";

export interface DefinitionSpec {
    steps: StepSpec[];
    moveToEndArn: string;
    onJobError: OnJobError;
    settings: Settings;
    /** The AWS partition the machine runs in (aws, aws-cn, aws-us-gov): integration ARNs name it. */
    partition: string;
    timeoutSeconds?: number;
    comment?: string;
}

export type StateMachineDefinition = { StartAt: string; States: Record<string, Record<string, Json>> } & Record<string, Json>;

/** Starts a new execution of a state machine and waits for its output as JSON (developer guide, "Start a new execution from a running execution"). */
export const startExecutionSync = (partition: string) => `arn:${partition}:states:::states:startExecution.sync:2`;
/** AWS SDK integrations of Step Functions' own API, for a hand-over that has to find its execution again. */
export const sfnSdk = (partition: string, action: "redriveExecution" | "getExecutionHistory") => `arn:${partition}:states:::aws-sdk:sfn:${action}`;

/** Errors the MoveToEnd function raises on purpose; they end the execution with a readable cause. */
const WORKFLOW_ERRORS = [INVALID_INPUT, PAYLOAD_TOO_LARGE];

/**
 * MoveToEnd runs for every job: on a long run a Lambda throttling burst must not end it, so it backs
 * off longer than the default step retry, up to half a minute between attempts.
 */
export const MOVE_TO_END_RETRY: Retrier = { ...LAMBDA_TRANSIENT_RETRY, MaxAttempts: 8, MaxDelaySeconds: 30 };

/** The names Step Functions gives a StartExecution refused for an existing name, with and without the SDK's suffix. */
export const EXECUTION_EXISTS = ["StepFunctions.ExecutionAlreadyExistsException", "StepFunctions.ExecutionAlreadyExists"];

/** Throttling and service errors of the optimized Step Functions integration: safe to retry, the name makes it idempotent. */
export const HANDOVER_RETRY: Retrier = {
    ErrorEquals: ["StepFunctions.AWSStepFunctionsException", "StepFunctions.SdkClientException", "StepFunctions.ThrottlingException", "StepFunctions.ExecutionLimitExceededException", "StepFunctions.ExecutionLimitExceeded"],
    IntervalSeconds: 2,
    MaxAttempts: 8,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: "FULL",
};

/** The same for the AWS SDK integration, whose errors are named after the SDK's service (`Sfn.`). */
export const SFN_SDK_RETRY: Retrier = { ...HANDOVER_RETRY, ErrorEquals: ["Sfn.SfnException", "Sfn.SdkClientException", "Sfn.ThrottlingException"] };

/** The name of the execution a hand-over starts: 64 hex characters, within the 80 AWS allows, the same on every retry and redrive. */
export const CHILD_NAME = "States.Hash($$.Execution.Id, 'SHA-256')";

/** That execution's ARN, from this state machine's: arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:NAME. */
const part = (i: number) => `States.ArrayGetItem(States.StringSplit($$.StateMachine.Id, ':'), ${i})`;
export const CHILD_ARN = `States.Format('arn:{}:states:{}:{}:execution:{}:{}', ${part(1)}, ${part(3)}, ${part(4)}, ${part(6)}, ${CHILD_NAME})`;

function moveToEndTask(spec: DefinitionSpec, action: "start" | "advance" | "merge", next: string): Record<string, Json> {
    return {
        Type: "Task",
        Resource: spec.moveToEndArn,
        // No ResultPath: the default, "$", makes the function's return value the new state.
        Parameters: {
            action,
            "state.$": "$",
            settings: spec.settings as unknown as Json,
            // A run over jobs by reference writes its results under the name of the execution it starts in.
            ...(action === "start" && spec.settings.store !== undefined ? { "execution.$": "$$.Execution.Name" } : {}),
        },
        TimeoutSeconds: 30,
        Retry: [MOVE_TO_END_RETRY as unknown as Json],
        Catch: [{ ErrorEquals: WORKFLOW_ERRORS, Next: STATE.readError }],
        Next: next,
    };
}

/** The hand-over's states: start (or find again) the next execution, and take its output. */
function handOverStates(spec: DefinitionSpec): Record<string, Record<string, Json>> {
    const history = (includeData: boolean) => ({ "ExecutionArn.$": CHILD_ARN, ReverseOrder: true, MaxResults: 1, IncludeExecutionData: includeData });
    return {
        [STATE.handOver]: {
            Type: "Task",
            Resource: startExecutionSync(spec.partition),
            Parameters: {
                // The state machine's own ARN comes from the context object: naming it here would make the
                // definition depend on the machine it defines.
                "StateMachineArn.$": "$$.StateMachine.Id",
                "Name.$": CHILD_NAME,
                // What MoveToEnd prepared: the unfinished jobs, or, by reference, where to read on.
                Input: { "handedOver.$": `$.${ITERATOR_FIELD}.send`, [`${STARTED_BY_FIELD}.$`]: "$$.Execution.Id" },
            },
            // The output replaces what was sent: no state holds a job twice.
            ResultSelector: { "output.$": "$.Output" },
            ResultPath: `$.${ITERATOR_FIELD}.send`,
            Retry: [HANDOVER_RETRY as unknown as Json],
            Catch: [{ ErrorEquals: EXECUTION_EXISTS, ResultPath: null, Next: STATE.resumeChild }],
            Next: STATE.merge,
        },
        [STATE.resumeChild]: {
            Type: "Task",
            Resource: sfnSdk(spec.partition, "redriveExecution"),
            Parameters: { "ExecutionArn.$": CHILD_ARN },
            ResultPath: null,
            Retry: [SFN_SDK_RETRY as unknown as Json],
            Catch: [{ ErrorEquals: ["Sfn.ExecutionNotRedrivableException"], ResultPath: null, Next: STATE.readChild }],
            // Running again: StartExecution with the same name and input now waits on it.
            Next: STATE.handOver,
        },
        [STATE.readChild]: {
            Type: "Task",
            Resource: sfnSdk(spec.partition, "getExecutionHistory"),
            Parameters: history(false),
            ResultSelector: { "type.$": "$.Events[0].Type" },
            ResultPath: `$.${ITERATOR_FIELD}.child`,
            Retry: [SFN_SDK_RETRY as unknown as Json],
            Next: STATE.childFinished,
        },
        [STATE.childFinished]: {
            Type: "Choice",
            Choices: [
                { Variable: `$.${ITERATOR_FIELD}.child.type`, StringEquals: "ExecutionSucceeded", Next: STATE.takeChildOutput },
                {
                    Or: ["ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"].map((type) => ({ Variable: `$.${ITERATOR_FIELD}.child.type`, StringEquals: type })),
                    Next: STATE.childLost,
                },
            ],
            Default: STATE.handOver,
        },
        [STATE.takeChildOutput]: {
            Type: "Task",
            Resource: sfnSdk(spec.partition, "getExecutionHistory"),
            Parameters: history(true),
            ResultSelector: { "output.$": "States.StringToJson($.Events[0].ExecutionSucceededEventDetails.Output)" },
            ResultPath: `$.${ITERATOR_FIELD}.send`,
            Retry: [SFN_SDK_RETRY as unknown as Json],
            Next: STATE.merge,
        },
        [STATE.childLost]: {
            Type: "Fail",
            Error: HANDOVER_LOST,
            Cause: "the execution this one handed its unfinished jobs to ended without success and can no longer be redriven; start a new execution with this one's kept state",
        },
        [STATE.merge]: moveToEndTask(spec, "merge", STATE.nextJob),
    };
}

export function buildDefinition(spec: DefinitionSpec): StateMachineDefinition {
    const first = spec.steps[0].name;
    const handsOver = (spec.settings.jobsPerExecution ?? 0) > 0;
    const choices: Json[] = [{ Not: { Variable: `$.${ITERATOR_FIELD}`, IsPresent: true }, Next: STATE.done }];
    if (handsOver) choices.push({ Variable: `$.${ITERATOR_FIELD}.next`, StringEquals: "handover", Next: STATE.handOver });
    const states: Record<string, Record<string, Json>> = {
        [STATE.prepare]: moveToEndTask(spec, "start", STATE.nextJob),
        [STATE.nextJob]: { Type: "Choice", Choices: choices, Default: first },
    };
    Object.assign(states, stepChain(spec.steps, HEAD_JOB, STATE.moveToEnd, spec.onJobError));
    if (handsOver) Object.assign(states, handOverStates(spec));
    Object.assign(states, {
        [STATE.moveToEnd]: moveToEndTask(spec, "advance", STATE.nextJob),
        [STATE.done]: { Type: "Succeed" },
        // The Lambda runtime reports a thrown error's Cause as JSON; keep just its message.
        [STATE.readError]: {
            Type: "Pass",
            Parameters: { "Error.$": "$.Error", "Cause.$": "States.StringToJson($.Cause)" },
            Next: STATE.failed,
        },
        [STATE.failed]: { Type: "Fail", ErrorPath: "$.Error", CausePath: "$.Cause.errorMessage" },
    });
    return machine(spec.comment ?? "Processes a list of jobs one after another (iterator-workflow).", STATE.prepare, spec.timeoutSeconds, states);
}

/** The definition around its states: what both strategies' builders end with. */
export function machine(comment: string, startAt: string, timeoutSeconds: number | undefined, states: Record<string, Record<string, Json>>): StateMachineDefinition {
    return compact({ Comment: comment, StartAt: startAt, TimeoutSeconds: timeoutSeconds, States: states as unknown as Json }) as StateMachineDefinition;
}
