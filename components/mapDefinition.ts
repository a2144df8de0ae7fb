// The map strategy's ASL: the same steps run as an inline Map over `jobs`. Pure, like definition.ts.
//
//   CheckInput ─(a non-empty list)──────────────▶ ProcessJobs (Map, MaxConcurrency 1 by default)
//       │      └(empty, or an object)─▶ CheckList ─┘   each item: CheckJob ─▶ step 1 ─▶ … ─▶ MarkDone
//       └(no list at all)─▶ DescribeInput ─▶ RejectInput         └(has done)─▶ CheckDone ─(true)─▶ AlreadyDone
//
// No Lambda runs here, so the input is checked in ASL itself, with the same error name and causes as
// the iterator's MoveToEnd function. Plain JSONPath cannot tell `[]` from an object, nor an array from
// an object with a key "0": the list's text is looked at only in those cases, and each item's text
// always, written by the Map's ItemSelector at no cost in states. (A `jobs` object with a key "0"
// still reaches the Map, which AWS fails with States.Runtime.)
//
// With onJobError "record" a job keeps its error's name only: ASL's JSONPath cannot cut a string, and
// a cause can be 32 KB on every failed job.
import { INVALID_INPUT, NO_JOB_STORE } from "../functions/moveToEnd";
import { machine, type OnJobError, type StateMachineDefinition } from "./definition";
import { MAP_ITEM_JOB, stepChain, type Json, type StepSpec } from "./steps";

export const MAP_STATE = {
    checkInput: "CheckInput",
    describeInput: "DescribeInput",
    rejectInput: "RejectInput",
    checkList: "CheckList",
    listText: "ListText",
    isEmptyList: "IsEmptyList",
    emptyList: "EmptyList",
    notAList: "NotAList",
    processJobs: "ProcessJobs",
    checkJob: "CheckJob",
    checkDone: "CheckDone",
    describeJob: "DescribeJob",
    rejectJob: "RejectJob",
    alreadyDone: "AlreadyDone",
    recordError: "RecordError",
    markDone: "MarkDone",
} as const;

export interface MapDefinitionSpec {
    steps: StepSpec[];
    onJobError: OnJobError;
    /** Jobs processed at once; 1 keeps them one after another, in order. */
    maxConcurrency: number;
    timeoutSeconds?: number;
    comment?: string;
}

/** JSON's kinds a Choice can recognise, and how the iterator's function names each in its messages. */
const KINDS: [test: string, named: string, withValue: boolean][] = [
    ["IsNull", "null", false],
    ["IsString", "string", true],
    ["IsNumeric", "number", true],
    ["IsBoolean", "boolean", true],
];

/**
 * One Choice rule per wrong kind at `path`, each going to a Pass that writes the cause (with the
 * index or value where it helps) and on to `reject`. Returns the rules and the states they need.
 */
function kindChecks(path: string, prefix: string, problem: string, describeArgs: string, next: string): { rules: Json[]; states: Record<string, Record<string, Json>> } {
    const rules: Json[] = [];
    const states: Record<string, Record<string, Json>> = {};
    for (const [test, named, withValue] of KINDS) {
        const name = `${prefix}${named[0].toUpperCase()}${named.slice(1)}`;
        rules.push({ Variable: path, [test]: true, Next: name });
        const got = withValue ? `got ${named} {}` : `got ${named}`;
        const format = `States.Format('${problem}, ${got}'${describeArgs}${withValue ? `, States.JsonToString(${path})` : ""})`;
        states[name] = { Type: "Pass", Parameters: { "Cause.$": format }, Next: next };
    }
    return { rules, states };
}

function itemProcessor(spec: MapDefinitionSpec): Record<string, Json> {
    const S = MAP_STATE;
    const job = MAP_ITEM_JOB;
    const notObject = kindChecks(job, S.describeJob, "jobs[{}] must be an object", ", $.index", S.rejectJob);
    const states: Record<string, Record<string, Json>> = {
        [S.checkJob]: {
            Type: "Choice",
            Choices: [
                ...notObject.rules,
                // An array, empty or not: its text starts with "[" (an object with a key "0" does not).
                { Variable: "$.text", StringMatches: "[*", Next: `${S.describeJob}Array` },
                // Comparing a field that is absent fails with States.Runtime: look at `done` only once it is there.
                { Variable: `${job}.done`, IsPresent: true, Next: S.checkDone },
            ],
            Default: spec.steps[0].name,
        },
        [S.checkDone]: {
            Type: "Choice",
            Choices: [
                { Not: { Variable: `${job}.done`, IsBoolean: true }, Next: `${S.describeJob}Done` },
                { Variable: `${job}.done`, BooleanEquals: true, Next: S.alreadyDone },
            ],
            Default: spec.steps[0].name,
        },
        ...notObject.states,
        [`${S.describeJob}Array`]: { Type: "Pass", Parameters: { "Cause.$": "States.Format('jobs[{}] must be an object, got an array', $.index)" }, Next: S.rejectJob },
        [`${S.describeJob}Done`]: {
            Type: "Pass",
            Parameters: { "Cause.$": `States.Format('jobs[{}].done must be true or false, got {}', $.index, States.JsonToString(${job}.done))` },
            Next: S.rejectJob,
        },
        [S.rejectJob]: { Type: "Fail", Error: INVALID_INPUT, CausePath: "$.Cause" },
        // A job done already (a resumed list) comes out as it went in.
        [S.alreadyDone]: { Type: "Pass", OutputPath: job, End: true },
    };
    Object.assign(states, stepChain(spec.steps, job, S.markDone, spec.onJobError, S.recordError));
    if (spec.onJobError === "record" && spec.steps.some((s) => s.kind !== "pass")) {
        states[S.recordError] = { Type: "Pass", Parameters: { "Error.$": `${job}.error.Error` }, ResultPath: `${job}.error`, Next: S.markDone };
    }
    states[S.markDone] = { Type: "Pass", Result: true, ResultPath: `${job}.done`, OutputPath: job, End: true };
    return { ProcessorConfig: { Mode: "INLINE" }, StartAt: S.checkJob, States: states as unknown as Json };
}

export function buildMapDefinition(spec: MapDefinitionSpec): StateMachineDefinition {
    const S = MAP_STATE;
    const notArray = kindChecks("$.jobs", S.describeInput, '"jobs" must be an array', "", S.rejectInput);
    const states: Record<string, Record<string, Json>> = {
        [S.checkInput]: {
            Type: "Choice",
            Choices: [
                // A list by reference needs the iterator's job store; a Map takes its jobs inline.
                { Variable: "$.jobsFrom", IsPresent: true, Next: `${S.describeInput}ByReference` },
                { Not: { Variable: "$.jobs", IsPresent: true }, Next: `${S.describeInput}Missing` },
                ...notArray.rules,
                { Variable: "$.jobs[0]", IsPresent: true, Next: S.processJobs },
            ],
            Default: S.checkList,
        },
        [`${S.describeInput}Missing`]: { Type: "Pass", Parameters: { Cause: 'the workflow input has no "jobs" field; expected {"jobs": [ ... ]}' }, Next: S.rejectInput },
        [`${S.describeInput}ByReference`]: { Type: "Pass", Parameters: { Cause: NO_JOB_STORE }, Next: S.rejectInput },
        ...notArray.states,
        [S.rejectInput]: { Type: "Fail", Error: INVALID_INPUT, CausePath: "$.Cause" },
        // In a branch, so the text of the list never joins the state: ResultPath null keeps the input.
        [S.checkList]: {
            Type: "Parallel",
            Branches: [
                {
                    StartAt: S.listText,
                    States: {
                        [S.listText]: { Type: "Pass", Parameters: { "text.$": "States.JsonToString($.jobs)" }, Next: S.isEmptyList },
                        [S.isEmptyList]: { Type: "Choice", Choices: [{ Variable: "$.text", StringEquals: "[]", Next: S.emptyList }], Default: S.notAList },
                        [S.emptyList]: { Type: "Succeed" },
                        [S.notAList]: { Type: "Fail", Error: INVALID_INPUT, Cause: '"jobs" must be an array, got an object' },
                    },
                },
            ],
            ResultPath: null,
            Next: S.processJobs,
        },
        [S.processJobs]: {
            Type: "Map",
            ItemsPath: "$.jobs",
            ItemSelector: { "index.$": "$$.Map.Item.Index", "job.$": "$$.Map.Item.Value", "text.$": "States.JsonToString($$.Map.Item.Value)" },
            MaxConcurrency: spec.maxConcurrency,
            ItemProcessor: itemProcessor(spec),
            ResultPath: "$.jobs",
            End: true,
        },
    };
    return machine(spec.comment ?? "Processes a list of jobs with the same steps, as an inline Map (iterator-workflow).", S.checkInput, spec.timeoutSeconds, states);
}

/** Every state name the map strategy uses itself, nested ones included: a step may take none of them. */
export const MAP_OWN_STATE_NAMES: readonly string[] = (() => {
    const placeholder = "\u0000step";
    const names: string[] = [];
    const walk = (states: Record<string, Record<string, unknown>>) => {
        for (const [name, state] of Object.entries(states)) {
            if (name !== placeholder) names.push(name);
            const processor = state.ItemProcessor as { States?: Record<string, Record<string, unknown>> } | undefined;
            if (processor?.States) walk(processor.States);
            for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) walk(branch.States);
        }
    };
    // A task step caught in "record" mode brings every state the strategy can have.
    walk(buildMapDefinition({ steps: [{ kind: "lambda", name: placeholder, resultKey: "x", functionArn: "" }], onJobError: "record", maxConcurrency: 1 }).States);
    return names;
})();
