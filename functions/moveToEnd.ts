// The MoveToEnd Lambda: the only code the iterator strategy runs in AWS besides the user's steps.
// It ships as one CommonJS file whose only import is Node's own crypto, so everything it needs lives
// here, and the definition builder imports its constants from this file rather than repeating them.
import { createHash } from "node:crypto";

/** Field of the workflow state where the iterator keeps its bookkeeping while jobs remain. */
export const ITERATOR_FIELD = "_iterator";

export const INVALID_INPUT = "IteratorWorkflow.InvalidInput";
export const PAYLOAD_TOO_LARGE = "IteratorWorkflow.PayloadTooLarge";

/** Step Functions' limit on any state's or task's input or output, in UTF-8 bytes. */
export const STEP_FUNCTIONS_PAYLOAD_LIMIT = 262_144;

/**
 * What a recorded error keeps, in bytes of JSON: AWS reports error names of up to 256 characters and
 * causes of up to 32,768 (API reference, TaskFailedEventDetails); a job keeps the name and the start
 * of the cause, so that a failing job cannot fill the state.
 */
export const RECORDED_ERROR_MAX_BYTES = 256;
export const RECORDED_CAUSE_MAX_BYTES = 512;

/**
 * The most a hand-over's task result carries besides the jobs: the new execution's ARNs, name, dates,
 * status and redrive fields (DescribeExecution), or one history event with its paging token.
 */
export const HANDOVER_RESULT_META_BYTES = 2_048;
/** Step Functions ARNs are at most 256 characters (API reference, StartExecution). */
export const ARN_MAX_BYTES = 256;
/** The field that ties a new execution to the one that started it (developer guide, "nested workflows"). */
export const STARTED_BY_FIELD = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID";

export type Job = { [key: string]: unknown; done?: boolean };

export interface IteratorBookkeeping {
    /** What the Choice state does next: work on jobs[0]. */
    next: "work";
    /** Index, in the caller's original list, of the job now at jobs[0]. */
    offset: number;
    /** Jobs finished by this execution; a hand-over starts the count again. */
    processed: number;
    /** Ties offset to the list it was written for, so an edited or made-up one is refused, not obeyed. */
    check: string;
}

/**
 * While a new execution works on the unfinished jobs, `jobs` holds only those (the new execution's
 * input) and the finished ones wait here with where each stood. The HandOver task then replaces
 * `jobs` with `{"output": <the new execution's output>}`, so no state ever holds a job twice.
 */
export interface HandOverBookkeeping {
    next: "handover";
    /** One character per job of the caller's list, in its order: `d` finished (in `done`), `p` handed over. */
    slots: string;
    done: Job[];
    /** SHA-256 of the jobs sent, without the fields the workflow writes: what comes back must match it. */
    sent: string;
}

export interface WorkflowState {
    [key: string]: unknown;
    jobs: Job[];
    _iterator?: IteratorBookkeeping | HandOverBookkeeping;
}

export interface Settings {
    /** Bytes a state may take; Step Functions' own limit unless a test lowers it. */
    payloadLimitBytes: number;
    /** Room kept free for results larger than declared. */
    marginBytes: number;
    /** Bytes one job grows by at most once finished: its results, `done`, and a recorded error. */
    growthPerJobBytes: number;
    /** Bytes a caught error adds to jobs[0] until this function trims it (onJobError "record"); 0 otherwise. */
    transientBytes: number;
    /** Job fields the workflow writes: the steps' result keys, `done` and `error`. */
    resultKeys: string[];
    /** Hand over to a new execution after this many jobs; absent or 0: never. */
    jobsPerExecution?: number;
}

export interface MoveToEndEvent {
    action: "start" | "advance" | "merge";
    state: unknown;
    settings: Settings;
}

/**
 * Errors whose `name` Step Functions reports as the state's Error. The stack is cut to one line
 * because the Lambda runtime copies it into the Cause, and users should read a reason, not a trace.
 */
export class WorkflowError extends Error {
    constructor(name: typeof INVALID_INPUT | typeof PAYLOAD_TOO_LARGE, message: string) {
        super(message);
        this.name = name;
        this.stack = `${name}: ${message}`;
    }
}

function invalid(message: string): never {
    throw new WorkflowError(INVALID_INPUT, message);
}

function describe(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isWhole = (v: unknown, min = 0): v is number => typeof v === "number" && Number.isInteger(v) && v >= min;

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), "utf8");

/** The size of `value`'s JSON once it is itself written as a JSON string, as DescribeExecution returns an input. */
const escapedBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(JSON.stringify(value)), "utf8");

/** JSON with every object's keys sorted: the same value gives the same text whatever order a service kept. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (isObject(value)) {
        return `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(value);
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** A job as the caller gave it: without the fields the workflow writes. */
function original(job: Job, settings: Settings): Job {
    const copy: Job = { ...job };
    for (const key of settings.resultKeys) delete copy[key];
    return copy;
}

const digestOf = (jobs: Job[], settings: Settings): string => sha256(canonical(jobs.map((j) => original(j, settings))));

function checkOf(offset: number, n: number, head: Job | undefined, settings: Settings): string {
    return sha256(`${offset}:${n}:${head === undefined ? "" : canonical(original(head, settings))}`);
}

function validateSettings(settings: unknown): Settings {
    if (!isObject(settings)) invalid(`settings must be an object, got ${describe(settings)}`);
    for (const key of ["payloadLimitBytes", "marginBytes", "growthPerJobBytes", "transientBytes"] as const) {
        if (!isWhole(settings[key])) invalid(`settings.${key} must be a whole number >= 0, got ${describe(settings[key])}`);
    }
    const keys = settings.resultKeys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) invalid(`settings.resultKeys must be a list of field names, got ${describe(keys)}`);
    const per = settings.jobsPerExecution;
    if (per !== undefined && !isWhole(per)) invalid(`settings.jobsPerExecution must be a whole number >= 0, got ${describe(per)}`);
    return settings as unknown as Settings;
}

function validateJobs(jobs: unknown, field: string, mustBeDone = false): Job[] {
    if (!Array.isArray(jobs)) invalid(`${field} must be an array, got ${describe(jobs)}`);
    jobs.forEach((job, i) => {
        if (!isObject(job)) invalid(`${field}[${i}] must be an object, got ${describe(job)}`);
        if ("done" in job && typeof job.done !== "boolean") invalid(`${field}[${i}].done must be true or false, got ${describe(job.done)}`);
        if (mustBeDone && job.done !== true) invalid(`${field}[${i}] must be a finished job (done: true), got one that is not`);
    });
    return jobs as Job[];
}

/** Checks the caller's state; the messages name the field, as a user would look for it. */
export function validateState(state: unknown): WorkflowState {
    if (!isObject(state)) invalid(`the workflow input must be a JSON object, got ${describe(state)}`);
    if (!("jobs" in state)) invalid(`the workflow input has no "jobs" field; expected {"jobs": [ ... ]}`);
    const book = state[ITERATOR_FIELD];
    // After a hand-over, jobs holds the new execution's output until Merge puts it back.
    if (isObject(book) && book.next === "handover" && isObject(state.jobs)) return state as unknown as WorkflowState;
    if (!Array.isArray(state.jobs)) invalid(`"jobs" must be an array, got ${describe(state.jobs)}`);
    validateJobs(state.jobs, "jobs");
    if (book !== undefined && !isObject(book)) invalid(`"${ITERATOR_FIELD}" is reserved for the workflow's bookkeeping; got ${describe(book)}`);
    return state as unknown as WorkflowState;
}

/** The bookkeeping of a state between jobs, checked against the list it claims to describe. */
function workBook(state: WorkflowState, settings: Settings): IteratorBookkeeping {
    const book = state[ITERATOR_FIELD] as unknown as Record<string, unknown>;
    const f = ITERATOR_FIELD;
    if (book.next !== "work") invalid(`${f}.next must be "work" or "handover", got ${describe(book.next)}`);
    const n = state.jobs.length;
    if (!isWhole(book.offset) || book.offset >= Math.max(n, 1)) invalid(`${f}.offset must be a whole number below the number of jobs (${n}), got ${describe(book.offset)}`);
    if (!isWhole(book.processed)) invalid(`${f}.processed must be a whole number >= 0, got ${describe(book.processed)}`);
    if (book.check !== checkOf(book.offset, n, state.jobs[0], settings)) {
        invalid(`${f} does not belong to these jobs (its check does not match): it is the workflow's own bookkeeping; leave it out of new input, or pass a kept state unedited`);
    }
    return book as unknown as IteratorBookkeeping;
}

/** The bookkeeping of a state handed over, checked: slots, the finished jobs, and the digest of those sent. */
function handOverBook(state: WorkflowState): HandOverBookkeeping {
    const book = state[ITERATOR_FIELD] as unknown as Record<string, unknown>;
    const f = ITERATOR_FIELD;
    if (typeof book.slots !== "string" || !/^[dp]*$/.test(book.slots)) invalid(`${f}.slots must be a string of d and p, got ${describe(book.slots)}`);
    const done = validateJobs(book.done, `${f}.done`, true);
    const finished = [...book.slots].filter((c) => c === "d").length;
    if (done.length !== finished) invalid(`${f}.done must hold the ${finished} finished job(s) its slots name, got ${done.length}`);
    if (typeof book.sent !== "string" || !/^[0-9a-f]{64}$/.test(book.sent)) invalid(`${f}.sent must be the SHA-256 of the jobs handed over, got ${describe(book.sent)}`);
    return book as unknown as HandOverBookkeeping;
}

function rotateLeft<T>(items: T[], by: number): T[] {
    const n = items.length;
    const k = n === 0 ? 0 : ((by % n) + n) % n;
    return k === 0 ? items : items.slice(k).concat(items.slice(0, k));
}

function withoutBook(state: WorkflowState): Omit<WorkflowState, "jobs" | typeof ITERATOR_FIELD> {
    const { [ITERATOR_FIELD]: _book, jobs: _jobs, ...rest } = state;
    return rest;
}

/** Bookkeeping at its largest for a list of n jobs: what the budget counts for it. */
const largestWorkBook = (n: number): IteratorBookkeeping => ({ next: "work", offset: n, processed: n, check: "0".repeat(64) });

/**
 * Brings the first unfinished job (from jobs[0] on, wrapping around) to the front, or, when none
 * is left, puts the list back in the caller's order and drops the bookkeeping: its absence is
 * what tells the Choice state that the workflow is done.
 */
function settle(state: WorkflowState, offset: number, processed: number, settings: Settings, overhead: number): WorkflowState {
    const rest = withoutBook(state);
    const n = state.jobs.length;
    const skip = state.jobs.findIndex((job) => job.done !== true);
    if (skip === -1) {
        const result = { ...rest, jobs: rotateLeft(state.jobs, n - offset) } as WorkflowState;
        guard(`the finished list`, bytes(result), settings);
        return result;
    }
    const jobs = rotateLeft(state.jobs, skip);
    const unfinished = jobs.filter((job) => job.done !== true);
    const per = settings.jobsPerExecution ?? 0;
    if (per > 0 && processed >= per) return handOver(rest, rotateLeft(state.jobs, n - offset), settings);
    const at = (offset + skip) % n;
    const book: IteratorBookkeeping = { next: "work", offset: at, processed, check: checkOf(at, n, jobs[0], settings) };
    const result = { ...rest, jobs, [ITERATOR_FIELD]: book } as WorkflowState;
    // The largest state still to come: every unfinished job grown, a caught error at its largest, and
    // this task's own Parameters around it.
    const size = bytes(result);
    const finalBytes = size - bytes(book) + bytes(largestWorkBook(n)) + unfinished.length * settings.growthPerJobBytes + settings.transientBytes + overhead;
    guard(`the workflow state is ${size} bytes and its ${unfinished.length} unfinished job(s) would bring it`, finalBytes, settings);
    // A hand-over still to come in this execution: its task result, with the jobs it will send. Checked
    // once when an execution starts (and again when it hands over), not for every job.
    if (processed === 0 && per > 0 && unfinished.length > per) {
        guard(`the hand-over's task result (the ${unfinished.length - per} job(s) it will send, and what comes back)`, handOverResultBytes(unfinished.slice(per), settings), settings);
    }
    return result;
}

/**
 * The task results a hand-over of `pending` brings, at their largest: the new execution's
 * description (its input as a JSON string, its output as JSON), or, when that execution has to be
 * read back after a lost response, its output as a JSON string in a history event.
 */
export function handOverResultBytes(pending: Job[], settings: Settings): number {
    const input = { jobs: pending, [STARTED_BY_FIELD]: "x".repeat(ARN_MAX_BYTES) };
    const output = bytes(input) + pending.length * settings.growthPerJobBytes;
    const described = escapedBytes(input) + output;
    // Escaping at most doubles a JSON text; the results are not known yet, so their part is doubled.
    const readBack = escapedBytes(input) + 2 * pending.length * settings.growthPerJobBytes;
    return HANDOVER_RESULT_META_BYTES + Math.max(described, readBack);
}

/**
 * Splits the caller's list for a hand-over: the unfinished jobs become the new execution's input, in
 * the caller's order, and the finished ones wait in the bookkeeping with their places.
 */
function handOver(rest: Omit<WorkflowState, "jobs" | typeof ITERATOR_FIELD>, inOrder: Job[], settings: Settings): WorkflowState {
    const pending = inOrder.filter((job) => job.done !== true);
    const book: HandOverBookkeeping = {
        next: "handover",
        slots: inOrder.map((job) => (job.done === true ? "d" : "p")).join(""),
        done: inOrder.filter((job) => job.done === true),
        sent: digestOf(pending, settings),
    };
    const result = { ...rest, jobs: pending, [ITERATOR_FIELD]: book } as WorkflowState;
    guard(`the hand-over's task result (the ${pending.length} job(s) it sends, and what comes back)`, handOverResultBytes(pending, settings), settings);
    // Once merged, every job is finished and in place; until then the finished ones wait beside the output.
    guard(`the state after the hand-over`, bytes(result) + pending.length * settings.growthPerJobBytes + bytes({ output: {} }), settings);
    return result;
}

/** The caller's list again: finished jobs from the bookkeeping, handed-over ones from `back`, each in its slot. */
function interleave(state: WorkflowState, book: HandOverBookkeeping, back: Job[], field: string, settings: Settings): WorkflowState {
    const expected = [...book.slots].filter((c) => c === "p").length;
    if (back.length !== expected) invalid(`${field} must hold the ${expected} job(s) handed over, got ${back.length}`);
    if (digestOf(back, settings) !== book.sent) {
        invalid(`${field} are not the jobs handed over: without the fields the workflow writes, they differ from what was sent`);
    }
    const done = [...book.done];
    const pending = [...back];
    return { ...withoutBook(state), jobs: [...book.slots].map((slot) => (slot === "d" ? done.shift()! : pending.shift()!)) } as WorkflowState;
}

/** Puts what the new execution returned back among the finished jobs, in the caller's order. */
function merge(state: WorkflowState, settings: Settings): WorkflowState {
    const book = handOverBook(state);
    const returned = state.jobs as unknown;
    const output = isObject(returned) ? returned.output : undefined;
    if (!isObject(output)) invalid(`"merge" needs jobs to be {"output": <the new execution's output>}, got ${describe(returned)}`);
    const back = validateJobs(output.jobs, "jobs.output.jobs", true);
    const result = interleave(state, book, back, "jobs.output.jobs", settings);
    guard(`the merged list`, bytes(result), settings);
    return result;
}

/** The longest start of `text` that, with an ellipsis, takes at most `max` bytes of JSON. */
function cut(text: string, max: number): string {
    if (bytes(text) <= max) return text;
    let [low, high] = [0, text.length];
    while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (bytes(`${text.slice(0, mid)}…`) <= max) low = mid;
        else high = mid - 1;
    }
    // Never end on half of a surrogate pair.
    const end = low > 0 && /[\ud800-\udbff]/.test(text[low - 1]) ? low - 1 : low;
    return `${text.slice(0, end)}…`;
}

/** Keeps a recorded error's name and the start of its cause: a cause can be 32 KB, and every job keeps its own. */
function trimError(job: Job): Job {
    const error = job.error;
    if (!isObject(error)) return job;
    let cause = typeof error.Cause === "string" ? error.Cause : JSON.stringify(error.Cause ?? "");
    // A Lambda's cause is its runtime's JSON; its message is what a reader needs.
    try {
        const parsed = JSON.parse(cause) as { errorMessage?: unknown };
        if (isObject(parsed) && typeof parsed.errorMessage === "string") cause = parsed.errorMessage;
    } catch {
        // Not JSON: kept as it is.
    }
    return { ...job, error: { Error: cut(String(error.Error ?? ""), RECORDED_ERROR_MAX_BYTES), Cause: cut(cause, RECORDED_CAUSE_MAX_BYTES) } };
}

/**
 * AWS fails a state past 262,144 bytes with States.DataLimitExceeded, which no Catch can handle.
 * Failing here, while the state still fits, keeps the work done so far and says why.
 */
function guard(what: string, projected: number, settings: Settings): void {
    const budget = settings.payloadLimitBytes - settings.marginBytes;
    if (projected > budget) {
        throw new WorkflowError(
            PAYLOAD_TOO_LARGE,
            `${what} to about ${projected} bytes, over the ${budget}-byte budget under Step Functions' ${settings.payloadLimitBytes}-byte payload limit; ` +
                `keep large data in S3 or DynamoDB and pass references in the jobs, or split the list`,
        );
    }
}

/** The state to resume from: a kept state's jobs back in the caller's order with their progress. */
function resume(state: WorkflowState, settings: Settings): { state: WorkflowState; offset: number } {
    const book = state[ITERATOR_FIELD] as Record<string, unknown> | undefined;
    if (book === undefined) return { state, offset: 0 };
    if (book.next === "handover") {
        const handed = handOverBook(state);
        if (isObject(state.jobs)) return { state: merge(state, settings), offset: 0 };
        // A hand-over that failed: the jobs sent, with whatever progress was composed back into them.
        return { state: interleave(state, handed, state.jobs, "jobs", settings), offset: 0 };
    }
    return { state, offset: workBook(state, settings).offset };
}

export function moveToEnd(event: MoveToEndEvent): WorkflowState {
    if (!isObject(event)) invalid(`the MoveToEnd event must be an object, got ${describe(event)}`);
    const settings = validateSettings(event.settings);
    const state = validateState(event.state);
    // What this task's Parameters add around the state, for the longest action name.
    const overhead = bytes({ ...event, action: "advance", state: null }) - bytes(null);
    switch (event.action) {
        case "start": {
            // A kept state resumes where it stopped and still ends in the caller's order.
            const from = resume(state, settings);
            return settle(from.state, from.offset, 0, settings, overhead);
        }
        case "merge": {
            if (state[ITERATOR_FIELD]?.next !== "handover") invalid(`"merge" needs a state handed over by this workflow (${ITERATOR_FIELD}.next "handover")`);
            return settle(merge(state, settings), 0, 0, settings, overhead);
        }
        case "advance": {
            if (state[ITERATOR_FIELD] === undefined || state.jobs.length === 0) invalid(`"advance" needs a state with jobs and "${ITERATOR_FIELD}"; start the workflow from its first state`);
            const book = workBook(state, settings);
            const [head, ...tail] = state.jobs;
            const jobs = [...tail, { ...trimError(head), done: true }];
            return settle({ ...state, jobs }, (book.offset + 1) % jobs.length, book.processed + 1, settings, overhead);
        }
        default:
            return invalid(`action must be "start", "advance" or "merge", got ${describe((event as { action: unknown }).action)}`);
    }
}

/**
 * Puts a state kept from a failure back in the caller's order, without bookkeeping: what a new
 * execution resumes from. `handedOver` is the kept state of the execution a hand-over started, if it
 * failed too: its progress goes in place of the jobs sent to it.
 */
export function inCallerOrder(state: WorkflowState, settings: Settings, handedOver?: WorkflowState): WorkflowState {
    const book = state[ITERATOR_FIELD];
    if (book?.next === "handover" && handedOver !== undefined && Array.isArray(state.jobs)) {
        return resume({ ...state, jobs: inCallerOrder(handedOver, settings).jobs }, settings).state;
    }
    const from = resume(state, settings);
    const n = from.state.jobs.length;
    return { ...withoutBook(from.state), jobs: rotateLeft(from.state.jobs, n - from.offset) } as WorkflowState;
}

export const handler = async (event: MoveToEndEvent): Promise<WorkflowState> => moveToEnd(event);
