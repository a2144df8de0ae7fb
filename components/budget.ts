// The payload and history arithmetic the component and the policy pack share: for the largest list a
// workflow declares, the largest every kind of state can get. It imports nothing, so the policy pack
// can carry its own copy of this file (policies/ must publish on its own).

/** A Standard execution fails at this many history events (developer guide, "Quotas"). */
export const HISTORY_EVENT_LIMIT = 25_000;
/** Step Functions' limit on any state's or task's input or output, in UTF-8 bytes (developer guide, "Quotas"). */
export const PAYLOAD_LIMIT_BYTES = 262_144;
/** Room MoveToEnd's run-time guard keeps free for results larger than declared and for other input fields. */
export const PAYLOAD_MARGIN_BYTES = 8_192;
/** The state's bookkeeping field; the MoveToEnd function names it too (a test keeps them equal). */
export const BOOKKEEPING_FIELD = "_iterator";
/** Step Functions ARNs are at most 256 characters (API reference, StartExecution). */
export const ARN_MAX_BYTES = 256;
/** What a hand-over's task result carries besides the jobs (ARNs, name, dates, status, a paging token). */
export const HANDOVER_RESULT_META_BYTES = 2_048;
/**
 * What a caught error adds to a job for a moment, at its largest: AWS reports error names of up to 256
 * characters and causes of up to 32,768 (API reference, TaskFailedEventDetails), and a cause is often
 * JSON itself, whose quotes double when it is written into the state. Counted at 2 bytes a character.
 */
export const CAUGHT_ERROR_MAX_BYTES = Buffer.byteLength(`,"error":{"Error":"","Cause":""}`) + 2 * (256 + 32_768);

/**
 * What a run over jobs by reference keeps in its state besides the window, at its largest: `jobsFrom`
 * (a bucket name of up to 63 characters, a key of up to 1,024 bytes, counted escaped) and where the
 * run stands (a run name of up to 80 characters, and seven counts).
 */
export const REF_STATE_BYTES = Buffer.byteLength(
    JSON.stringify({
        jobsFrom: { bucket: "b".repeat(63), key: "k".repeat(2 * 1024) },
        ref: { run: "r".repeat(80), cursor: 1e15, line: 1e15, size: 1e15, window: 1e15, total: 1e15, done: 1e15, failed: 1e15 },
    }),
);
/** The share of the payload limit a window is sized for by default: the policy pack's own default. */
export const DEFAULT_SHARE_OF_LIMIT = 0.8;

export type Strategy = "iterator" | "map";

/** What the budgets know of a workflow: its declared largest list and its per-job figures. */
export interface PayloadFacts {
    strategy: Strategy;
    maxJobs: number;
    /** The largest job, serialized, before any step has run. */
    maxJobBytes: number;
    /** Bytes a finished job adds at most: results, `done`, and a recorded error. */
    growthPerJobBytes: number;
    /** Bytes a caught error adds to the job at hand until it is trimmed; 0 when nothing is caught. */
    transientBytes: number;
    /** Iterator: what MoveToEnd's Parameters add around the state it is given. */
    taskOverheadBytes: number;
    /** Iterator: jobs after which an execution hands the rest to a new one; absent: never. */
    jobsPerExecution?: number;
    /** Iterator, jobs by reference: `maxJobs` is a window's; a hand-over sends only where to read on. */
    byReference?: boolean;
}

export interface StatePeak {
    /** Which state, in words a reader finds in the definition. */
    state: string;
    bytes: number;
}

const utf8 = (text: string): number => Buffer.byteLength(text, "utf8");
/** `[a,b,c]` of n items of `each` bytes. */
const listBytes = (n: number, each: number): number => (n === 0 ? 2 : n * each + (n - 1) + 2);
/** `{"jobs":[...]}` of n jobs of `each` bytes. */
const jobsState = (n: number, each: number): number => utf8(`{"jobs":}`) + listBytes(n, each);
/** `,"name":` followed by a value of `value` bytes. */
const field = (name: string, value: number): number => utf8(`,${JSON.stringify(name)}:`) + value;
/** A JSON text written again as a JSON string: every character may need escaping, and two quotes. */
const escaped = (text: number): number => 2 * text + 2;

/** The bookkeeping while jobs remain, at its largest for n jobs. */
export function workBookBytes(n: number): number {
    return field(BOOKKEEPING_FIELD, utf8(JSON.stringify({ next: "work", offset: n, processed: n, check: "0".repeat(64) })));
}

/** The largest of each state of an iterator workflow, for its declared list. */
function iteratorPeaks(f: PayloadFacts): StatePeak[] {
    const n = f.maxJobs;
    const grown = f.maxJobBytes + f.growthPerJobBytes;
    if (f.byReference) {
        // The window's last job, with where the run stands; a hand-over sends only that.
        return [{ state: "MoveToEnd's input at a window's last job", bytes: jobsState(n, grown) + workBookBytes(n) + REF_STATE_BYTES + f.transientBytes + f.taskOverheadBytes }];
    }
    const peaks: StatePeak[] = [
        { state: "the execution's input", bytes: jobsState(n, f.maxJobBytes) },
        // The last job's steps done, its error caught at its largest, and MoveToEnd's Parameters around it.
        { state: "MoveToEnd's input at the last job", bytes: jobsState(n, grown) + workBookBytes(n) + f.transientBytes + f.taskOverheadBytes },
    ];
    const per = f.jobsPerExecution;
    if (per !== undefined && per < n) {
        // The first hand-over sends the most: every job but those the first execution finished.
        const p = n - per;
        const startedBy = field("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID", ARN_MAX_BYTES + 2);
        // {"handedOver":{"jobs":[...]},"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"..."}; the output is the jobs and that field.
        const childInput = utf8(`{"handedOver":}`) + jobsState(p, f.maxJobBytes) + startedBy;
        const childOutput = jobsState(p, grown) + startedBy;
        peaks.push({
            state: "HandOver's task result (the new execution's input as a JSON string, and its output)",
            bytes: HANDOVER_RESULT_META_BYTES + escaped(childInput) + childOutput,
        });
        peaks.push({ state: "TakeChildOutput's task result (the new execution's output as a JSON string)", bytes: HANDOVER_RESULT_META_BYTES + escaped(childOutput) });
        // Finished jobs wait in the bookkeeping, with one slot letter per job, beside the output.
        const bookFields = { next: "handover", slots: "", done: [], sent: "0".repeat(64), send: { output: null }, child: { type: "ExecutionSucceeded" } };
        const book = field(BOOKKEEPING_FIELD, utf8(JSON.stringify(bookFields)) - utf8("null") + childOutput + n + listBytes(per, grown) - 2);
        peaks.push({ state: "Merge's input", bytes: utf8(`{"jobs":[]}`) + book + f.taskOverheadBytes });
    }
    return peaks;
}

/** The largest of each state of a map workflow, for its declared list. */
function mapPeaks(f: PayloadFacts): StatePeak[] {
    const n = f.maxJobs;
    // Each iteration holds its index, its job and the job's text (how the input check tells [] from {}).
    const iteration = utf8(JSON.stringify({ index: n, job: null, text: null })) - 8 + f.maxJobBytes + f.growthPerJobBytes + escaped(f.maxJobBytes) + f.transientBytes;
    return [
        { state: "the execution's input", bytes: jobsState(n, f.maxJobBytes) },
        { state: "a Map iteration's state", bytes: iteration },
        { state: "the Map state's output", bytes: jobsState(n, f.maxJobBytes + f.growthPerJobBytes) },
    ];
}

/** Every kind of state with the most it can hold, largest first. */
export function statePeaks(facts: PayloadFacts): StatePeak[] {
    const peaks = facts.strategy === "map" ? mapPeaks(facts) : iteratorPeaks(facts);
    return peaks.sort((a, b) => b.bytes - a.bytes);
}

/** The largest state of all, and which it is. */
export function peakState(facts: PayloadFacts): StatePeak {
    return statePeaks(facts)[0];
}

/**
 * The longest list whose every state stays within `budget` bytes, or 0. Peaks grow with the list, so
 * a binary search finds it.
 */
export function maxJobsWithin(budget: number, facts: Omit<PayloadFacts, "maxJobs">): number {
    const fits = (n: number) => peakState({ ...facts, maxJobs: n }).bytes <= budget;
    if (!fits(0)) return 0;
    let [low, high] = [0, 1];
    while (fits(high)) [low, high] = [high, high * 2];
    while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (fits(mid)) low = mid;
        else high = mid;
    }
    return low;
}
