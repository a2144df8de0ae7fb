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
import { INVALID_INPUT, ITERATOR_FIELD, PAYLOAD_TOO_LARGE, type Settings } from "../functions/moveToEnd";
import { compact, HEAD_JOB, LAMBDA_TRANSIENT_RETRY, stepChain, type Json, type StepSpec } from "./steps";

export const STATE = {
    prepare: "Prepare",
    nextJob: "NextJob",
    moveToEnd: "MoveToEnd",
    done: "Done",
    readError: "ReadError",
    failed: "Failed",
    handOver: "HandOver",
    merge: "Merge",
} as const;

/** Starts a new execution of this same state machine and waits for its output (see aws-limits.md, "continue as new"). */
export const START_EXECUTION_SYNC = "arn:aws:states:::states:startExecution.sync:2";

export type OnJobError = "fail" | "record";

export interface DefinitionSpec {
    steps: StepSpec[];
    moveToEndArn: string;
    onJobError: OnJobError;
    settings: Settings;
    timeoutSeconds?: number;
    comment?: string;
}

export type StateMachineDefinition = { StartAt: string; States: Record<string, Record<string, Json>> } & Record<string, Json>;

/** Errors the MoveToEnd function raises on purpose; they end the execution with a readable cause. */
const WORKFLOW_ERRORS = [INVALID_INPUT, PAYLOAD_TOO_LARGE];

function moveToEndTask(spec: DefinitionSpec, action: "start" | "advance" | "merge", next: string): Record<string, Json> {
    return {
        Type: "Task",
        Resource: spec.moveToEndArn,
        // No ResultPath: the default, "$", makes the function's return value the new state.
        Parameters: { action, "state.$": "$", settings: spec.settings as unknown as Json },
        TimeoutSeconds: 30,
        Retry: [LAMBDA_TRANSIENT_RETRY as unknown as Json],
        Catch: [{ ErrorEquals: WORKFLOW_ERRORS, Next: STATE.readError }],
        Next: next,
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
    if (handsOver) {
        // The state machine's own ARN comes from the context object: naming it here would make the
        // definition depend on the machine it defines.
        states[STATE.handOver] = {
            Type: "Task",
            Resource: START_EXECUTION_SYNC,
            Parameters: {
                "StateMachineArn.$": "$$.StateMachine.Id",
                Input: { "jobs.$": "$.jobs", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id" },
            },
            // Of the new execution's description, only its jobs: its input and metadata would only bloat the state.
            ResultSelector: { "jobs.$": "$.Output.jobs" },
            ResultPath: `$.${ITERATOR_FIELD}.returned`,
            Next: STATE.merge,
        };
        states[STATE.merge] = moveToEndTask(spec, "merge", STATE.nextJob);
    }
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
