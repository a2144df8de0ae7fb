// How many jobs one execution can take, from the steps alone: history events against Standard's
// 25,000-event limit and bytes against the 262,144-byte payload limit, for every state the workflow
// has (budget.ts holds the arithmetic the policy pack repeats).
import type { Settings } from "../functions/moveToEnd";
import type { StoreSettings } from "../functions/jobStore";
import { CAUGHT_ERROR_MAX_BYTES, DEFAULT_SHARE_OF_LIMIT, HISTORY_EVENT_LIMIT, maxJobsWithin, PAYLOAD_LIMIT_BYTES, PAYLOAD_MARGIN_BYTES, peakState, type PayloadFacts, type StatePeak } from "./budget";
import { stepHistoryEvents, stepResultBytes, type StepSpec } from "./steps";
import type { Strategy } from "./workflowTags";

export { HISTORY_EVENT_LIMIT, PAYLOAD_MARGIN_BYTES } from "./budget";

/** Every step's state plus MoveToEnd (a Lambda task) and NextJob (a Choice). */
export const ITERATOR_TRANSITIONS_PER_JOB = 2;
export const ITERATOR_EVENTS_PER_JOB = 5 + 2;
/** ExecutionStarted, Prepare (5), the first NextJob (2), Done (2), ExecutionSucceeded. */
export const ITERATOR_FIXED_EVENTS = 1 + 5 + 2 + 2 + 1;
/**
 * The map strategy's own cost. Per job: MapIterationStarted and Succeeded, CheckJob (a Choice) and
 * MarkDone (a Pass). Per execution: ExecutionStarted, CheckInput (2), the Map state's Entered,
 * Started, Succeeded and Exited, ExecutionSucceeded. Inline iterations count in the parent's history.
 */
export const MAP_TRANSITIONS_PER_JOB = 2;
export const MAP_EVENTS_PER_JOB = 2 + 2 + 2;
export const MAP_FIXED_EVENTS = 1 + 2 + 4 + 1;
/** Inline Map iterations that run at once at the most (developer guide, "Map state (inline)"). */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

const OWN_COST: Record<Strategy, { transitionsPerJob: number; eventsPerJob: number; fixedEvents: number }> = {
    iterator: { transitionsPerJob: ITERATOR_TRANSITIONS_PER_JOB, eventsPerJob: ITERATOR_EVENTS_PER_JOB, fixedEvents: ITERATOR_FIXED_EVENTS },
    map: { transitionsPerJob: MAP_TRANSITIONS_PER_JOB, eventsPerJob: MAP_EVENTS_PER_JOB, fixedEvents: MAP_FIXED_EVENTS },
};

/** A hand-over's own events: NextJob (2), HandOver waiting on the new execution (6), Merge (5). */
export const HANDOVER_EVENTS = 2 + 6 + 5;
/** Share of the history limit an execution leaves unused before it hands over: room for retries. */
export const HANDOVER_MARGIN = 0.1;

/** `,"done":true`, added to every job. */
export const DONE_BYTES = Buffer.byteLength(`,"done":true`);
/** Job fields the workflow writes itself, besides the steps' results. */
export const WORKFLOW_FIELDS = ["done", "error"] as const;

/**
 * What a recorded error adds to a job for good. The iterator's MoveToEnd keeps its name and the start
 * of its cause (within the byte caps it enforces); the map strategy, which runs no code of its own,
 * keeps the name only, counted at 2 bytes a character of its 256.
 */
export function recordedErrorBytes(strategy: Strategy): number {
    return strategy === "map" ? Buffer.byteLength(`,"error":{"Error":}`) + 2 * 256 + 2 : Buffer.byteLength(`,"error":{"Error":,"Cause":}`) + 256 + 512;
}

export type OnJobError = "fail" | "record";

export interface Limits {
    maxJobs?: number;
    maxJobBytes?: number;
}

export interface Capacity {
    strategy: Strategy;
    /** Jobs processed at once: 1 for the iterator, the Map's MaxConcurrency (40 at the most). */
    concurrency: number;
    transitionsPerJob: number;
    historyEventsPerJob: number;
    /** History events an execution spends besides its jobs. */
    fixedHistoryEvents: number;
    /** Bytes a job grows by at most once finished: every step's result, `done`, and a recorded error. */
    growthPerJobBytes: number;
    /** Bytes a caught error adds to the job at hand for a moment (onJobError "record"); 0 otherwise. */
    transientBytes: number;
    /** Iterator: bytes MoveToEnd's Parameters add around the state it is given; 0 for a map. */
    taskOverheadBytes: number;
    /** Jobs one Standard execution can take before 25,000 events; null for Express (no history limit) or when it hands over. */
    maxJobsByHistory: number | null;
    /** Jobs of `limits.maxJobBytes` whose every state fits under the payload limit less MoveToEnd's margin; null when that is not declared. */
    maxJobsByPayload: number | null;
    /** The smaller of the two, and which bound it is. */
    maxJobs: number | null;
    boundBy: "history" | "payload" | null;
    /** Whether `limits.maxJobs` fits; null when limits are not declared. */
    fitsDeclaredLimits: boolean | null;
    /** Jobs after which an execution hands the rest to a new one; null when it never does. */
    jobsPerExecution: number | null;
    /** The largest state at the declared limits, and which state it is; null when limits are not declared. */
    peakState: StatePeak | null;
    /** For executions started with `jobsFrom`; null when the workflow has no job store. */
    byReference: ByReference | null;
}

/** A run over jobs by reference: a window in the state, read and written back in S3. */
export interface ByReference {
    /** Jobs held in the state at once. */
    windowJobs: number;
    /** The longest line read, in bytes: `limits.maxJobBytes`, or 2,048 when that is not declared. */
    maxLineBytes: number;
    /** One ranged GET and one PUT per window. */
    s3RequestsPerJob: number;
    /** No bound on the list's length: the state holds a window, and a hand-over sends only where to read on. */
    maxJobs: null;
    /** The largest state, for a full window of jobs of maxLineBytes. */
    peakState: StatePeak;
}

/** The longest line read by reference when `limits.maxJobBytes` is not declared. */
export const DEFAULT_MAX_LINE_BYTES = 2_048;

/** `true`: hand over as late as the history allows, with a margin; a number: after that many jobs. */
export type HandOver = boolean | { jobsPerExecution: number };

/** Whether a step can fail, and so have its error caught onto the job with onJobError "record". */
const canFail = (steps: StepSpec[]) => steps.some((s) => s.kind !== "pass");

export function growthPerJobBytes(steps: StepSpec[], onJobError: OnJobError = "fail", strategy: Strategy = "iterator"): number {
    const results = steps.reduce((sum, step) => sum + stepResultBytes(step), DONE_BYTES);
    return results + (onJobError === "record" && canFail(steps) ? recordedErrorBytes(strategy) : 0);
}

export function transientBytes(steps: StepSpec[], onJobError: OnJobError = "fail"): number {
    return onJobError === "record" && canFail(steps) ? CAUGHT_ERROR_MAX_BYTES : 0;
}

/** Where a workflow reads jobs by reference, and how many it holds at once. */
export interface StoreRuntime {
    store: StoreSettings;
    windowJobs: number;
    maxLineBytes: number;
}

export function runtimeSettings(steps: StepSpec[], onJobError: OnJobError = "fail", jobsPerExecution: number | null = null, byReference?: StoreRuntime): Settings {
    const settings: Settings = {
        payloadLimitBytes: PAYLOAD_LIMIT_BYTES,
        marginBytes: PAYLOAD_MARGIN_BYTES,
        growthPerJobBytes: growthPerJobBytes(steps, onJobError),
        transientBytes: transientBytes(steps, onJobError),
        resultKeys: [...steps.map((s) => s.resultKey), ...WORKFLOW_FIELDS],
    };
    if (jobsPerExecution !== null) settings.jobsPerExecution = jobsPerExecution;
    if (byReference !== undefined) Object.assign(settings, byReference);
    return settings;
}

/** What MoveToEnd's Parameters add around the state: the action and the settings. */
export function taskOverheadBytes(settings: Settings): number {
    return Buffer.byteLength(JSON.stringify({ action: "advance", state: null, settings })) - Buffer.byteLength("null");
}

export function historyEventsPerJob(steps: StepSpec[], strategy: Strategy = "iterator"): number {
    return steps.reduce((sum, s) => sum + stepHistoryEvents(s), OWN_COST[strategy].eventsPerJob);
}

/** The most jobs one execution may finish before it hands over, keeping HANDOVER_MARGIN of its history free. */
export function maxJobsPerExecution(steps: StepSpec[]): number {
    const budget = Math.floor(HISTORY_EVENT_LIMIT * (1 - HANDOVER_MARGIN)) - ITERATOR_FIXED_EVENTS - HANDOVER_EVENTS;
    return Math.max(1, Math.floor(budget / historyEventsPerJob(steps)));
}

/** When a workflow of these steps hands over, or null when it does not. */
export function jobsPerExecution(steps: StepSpec[], handOver: HandOver): number | null {
    if (handOver === false) return null;
    return handOver === true ? maxJobsPerExecution(steps) : handOver.jobsPerExecution;
}

export interface CapacityOptions {
    strategy?: Strategy;
    onJobError?: OnJobError;
    /** Iterator only: whether and when an execution hands over. */
    handOver?: HandOver;
    /** Map only: its MaxConcurrency. */
    maxConcurrency?: number;
    /** Iterator only: jobs by reference, and the window's size when set; false: none. */
    jobStore?: { windowJobs?: number; inputPrefix?: string; resultsPrefix?: string } | false;
}

/** Stands for a bucket name not known yet: S3 allows 63 characters, and sizes are counted at their largest. */
const LONGEST_BUCKET = "b".repeat(63);

/** The payload facts of a workflow of these steps, for a list of `maxJobs` jobs of `maxJobBytes`. */
export function payloadFacts(steps: StepSpec[], maxJobs: number, maxJobBytes: number, options: CapacityOptions = {}, perExecution: number | null = null, byReference?: StoreRuntime): PayloadFacts {
    const strategy = options.strategy ?? "iterator";
    const onJobError = options.onJobError ?? "fail";
    const facts: PayloadFacts = {
        strategy,
        maxJobs,
        maxJobBytes,
        growthPerJobBytes: growthPerJobBytes(steps, onJobError, strategy),
        transientBytes: transientBytes(steps, onJobError),
        taskOverheadBytes: strategy === "map" ? 0 : taskOverheadBytes(runtimeSettings(steps, onJobError, perExecution, byReference)),
    };
    if (perExecution !== null) facts.jobsPerExecution = perExecution;
    return facts;
}

/**
 * How a workflow reads jobs by reference: its window is as many jobs of `maxLineBytes` as fit the
 * policy pack's default share of the payload limit (with the job store's settings in MoveToEnd's
 * Parameters), and no more than an execution takes before it hands over, unless the user set it.
 */
export function storeRuntime(steps: StepSpec[], limits: Limits, options: CapacityOptions, perExecution: number | null, bucket = LONGEST_BUCKET): StoreRuntime | undefined {
    const store = options.jobStore;
    if (store === false || (options.strategy ?? "iterator") !== "iterator") return undefined;
    const maxLineBytes = limits.maxJobBytes ?? DEFAULT_MAX_LINE_BYTES;
    const storeSettings: StoreSettings = { bucket, inputPrefix: store?.inputPrefix ?? "input/", resultsPrefix: store?.resultsPrefix ?? "results/" };
    // Sized with the longest bucket name and window number the settings could carry, so that the
    // window is the same whether the bucket's name is known yet or not.
    const sizing: StoreRuntime = { store: { ...storeSettings, bucket: LONGEST_BUCKET }, windowJobs: 100_000, maxLineBytes };
    const fits = maxJobsWithin(Math.floor(PAYLOAD_LIMIT_BYTES * DEFAULT_SHARE_OF_LIMIT), { ...payloadFacts(steps, 0, maxLineBytes, options, perExecution, sizing), byReference: true });
    const windowJobs = store?.windowJobs ?? Math.max(1, Math.min(fits, perExecution ?? Infinity));
    return { store: storeSettings, windowJobs, maxLineBytes };
}

export function computeCapacity(steps: StepSpec[], type: "STANDARD" | "EXPRESS", limits: Limits = {}, options: CapacityOptions = {}): Capacity {
    const strategy = options.strategy ?? "iterator";
    const own = OWN_COST[strategy];
    const eventsPerJob = historyEventsPerJob(steps, strategy);
    const perExecution = type === "EXPRESS" || strategy === "map" ? null : jobsPerExecution(steps, options.handOver ?? false);
    // A workflow that hands over before the limit is not bound by history at all.
    const maxJobsByHistory = type === "EXPRESS" || perExecution !== null ? null : Math.floor((HISTORY_EVENT_LIMIT - own.fixedEvents) / eventsPerJob);

    let maxJobsByPayload: number | null = null;
    let peak: StatePeak | null = null;
    // MoveToEnd's Parameters carry the job store's settings, inline or not.
    const store = storeRuntime(steps, limits, options, perExecution);
    const facts = payloadFacts(steps, 0, limits.maxJobBytes ?? 0, options, perExecution, store);
    if (limits.maxJobBytes !== undefined) {
        maxJobsByPayload = maxJobsWithin(PAYLOAD_LIMIT_BYTES - PAYLOAD_MARGIN_BYTES, facts);
        if (limits.maxJobs !== undefined) peak = peakState({ ...facts, maxJobs: limits.maxJobs });
    }
    let byReference: ByReference | null = null;
    if (store !== undefined) {
        const windowFacts = { ...payloadFacts(steps, store.windowJobs, store.maxLineBytes, options, perExecution, store), byReference: true };
        byReference = { windowJobs: store.windowJobs, maxLineBytes: store.maxLineBytes, s3RequestsPerJob: 2 / store.windowJobs, maxJobs: null, peakState: peakState(windowFacts) };
    }
    const bounds = [
        ["history", maxJobsByHistory],
        ["payload", maxJobsByPayload],
    ].filter((b): b is ["history" | "payload", number] => b[1] !== null);
    const tightest = bounds.sort((a, b) => a[1] - b[1])[0];
    return {
        strategy,
        concurrency: strategy === "map" ? Math.min(options.maxConcurrency ?? 1, INLINE_MAP_MAX_CONCURRENCY) : 1,
        transitionsPerJob: steps.length + own.transitionsPerJob,
        historyEventsPerJob: eventsPerJob,
        fixedHistoryEvents: own.fixedEvents,
        growthPerJobBytes: facts.growthPerJobBytes,
        transientBytes: facts.transientBytes,
        taskOverheadBytes: facts.taskOverheadBytes,
        maxJobsByHistory,
        maxJobsByPayload,
        maxJobs: tightest?.[1] ?? null,
        boundBy: tightest?.[0] ?? null,
        fitsDeclaredLimits: limits.maxJobs === undefined || tightest === undefined ? null : limits.maxJobs <= tightest[1],
        jobsPerExecution: perExecution,
        peakState: peak,
        byReference,
    };
}
