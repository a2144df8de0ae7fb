// The MoveToEnd Lambda: the only code the iterator strategy runs in AWS besides the user's steps.
// It ships as CommonJS with no dependency bundled: Node's crypto, jobStore.ts (reading and writing
// jobs by reference) and, through it, the AWS SDK the Lambda runtime provides. The definition builder
// imports its constants from this file rather than repeating them.
import { createHash } from "node:crypto";
import { readWindow, RefError, resultKey, writeWindow, type JobsRef, type StoreSettings } from "./jobStore";

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

/** Why an input by reference is refused by a workflow that takes its jobs inline only. */
export const NO_JOB_STORE = 'jobsFrom: this workflow has no job store, so it takes its jobs inline only: {"jobs": [ ... ]}';

export type Job = { [key: string]: unknown; done?: boolean };

/**
 * Where a run over jobs by reference stands: the object's next line, the window of jobs now in `jobs`,
 * and the counts of the windows already written.
 */
export interface RefBookkeeping {
    /** The name of the first execution: every window is written under `<resultsPrefix><run>/`. */
    run: string;
    /** Byte offset and line number (from 1) of the first line not read yet, and the object's size. */
    cursor: number;
    line: number;
    size: number;
    /** Index of the window now in `jobs`, from 0. */
    window: number;
    /** Jobs in the windows already written: all, finished without an error, finished with one. */
    total: number;
    done: number;
    failed: number;
}

export interface IteratorBookkeeping {
    /** What the Choice state does next: work on jobs[0]. */
    next: "work";
    /** Index, in the caller's original list (or window), of the job now at jobs[0]. */
    offset: number;
    /** Jobs finished by this execution; a hand-over starts the count again. */
    processed: number;
    /** By reference: where the run stands in the object. */
    ref?: RefBookkeeping;
    /** Ties offset (and ref) to the list it was written for, so an edited or made-up one is refused, not obeyed. */
    check: string;
}

/** By reference, between windows: what a hand-over's new execution starts from, reading at the cursor. */
export interface ReadBookkeeping {
    next: "read";
    ref: RefBookkeeping;
    check: string;
}

/**
 * While a new execution works on the rest, `send` holds its input: the unfinished jobs, or, by
 * reference, where to read on. The finished jobs wait here with where each stood (inline), or are
 * written already (by reference). HandOver replaces `send` with `{"output": <the new execution's
 * output>}`, so no state ever holds a job twice.
 */
export interface HandOverBookkeeping {
    next: "handover";
    /** Inline: one character per job of the caller's list, in its order: `d` finished (in `done`), `p` handed over. */
    slots?: string;
    done?: Job[];
    /** Inline: SHA-256 of the jobs sent, without the fields the workflow writes: what comes back must match it. */
    sent?: string;
    /** By reference: where the new execution reads on. */
    ref?: RefBookkeeping;
    send: Record<string, unknown>;
}

export interface WorkflowState {
    [key: string]: unknown;
    jobs: Job[];
    _iterator?: IteratorBookkeeping | HandOverBookkeeping | ReadBookkeeping;
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
    /** Where jobs by reference are read and their results written; absent: the workflow takes jobs inline only. */
    store?: StoreSettings;
    /** By reference: jobs in a window, and the longest line read, in bytes. */
    windowJobs?: number;
    maxLineBytes?: number;
}

export interface MoveToEndEvent {
    action: "start" | "advance" | "merge";
    state: unknown;
    settings: Settings;
    /** Prepare's: the execution's name, which names a run's results by reference. */
    execution?: string;
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

function checkOf(offset: number, n: number, head: Job | undefined, settings: Settings, ref?: RefBookkeeping): string {
    return sha256(`${offset}:${n}:${head === undefined ? "" : canonical(original(head, settings))}:${ref === undefined ? "" : canonical(ref)}`);
}

const readCheck = (ref: RefBookkeeping): string => sha256(`read:${canonical(ref)}`);

function validateSettings(settings: unknown): Settings {
    if (!isObject(settings)) invalid(`settings must be an object, got ${describe(settings)}`);
    for (const key of ["payloadLimitBytes", "marginBytes", "growthPerJobBytes", "transientBytes"] as const) {
        if (!isWhole(settings[key])) invalid(`settings.${key} must be a whole number >= 0, got ${describe(settings[key])}`);
    }
    const keys = settings.resultKeys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) invalid(`settings.resultKeys must be a list of field names, got ${describe(keys)}`);
    for (const key of ["jobsPerExecution", "windowJobs", "maxLineBytes"] as const) {
        if (settings[key] !== undefined && !isWhole(settings[key])) invalid(`settings.${key} must be a whole number >= 0, got ${describe(settings[key])}`);
    }
    const store = settings.store;
    if (store !== undefined) {
        if (!isObject(store) || !["bucket", "inputPrefix", "resultsPrefix"].every((k) => typeof store[k] === "string")) invalid(`settings.store must name a bucket, an inputPrefix and a resultsPrefix`);
        if (!isWhole(settings.windowJobs, 1) || !isWhole(settings.maxLineBytes, 1)) invalid(`settings.windowJobs and settings.maxLineBytes are needed with a store`);
    }
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
export function validateState(state: unknown, settings?: Settings): WorkflowState {
    if (!isObject(state)) invalid(`the workflow input must be a JSON object, got ${describe(state)}`);
    const book = state[ITERATOR_FIELD];
    if (book !== undefined && !isObject(book)) invalid(`"${ITERATOR_FIELD}" is reserved for the workflow's bookkeeping; got ${describe(book)}`);
    if (book === undefined && "jobsFrom" in state) {
        if ("jobs" in state) invalid(`the workflow input has both "jobs" and "jobsFrom"; give the jobs inline or by reference, not both`);
        return state as unknown as WorkflowState;
    }
    // By reference, between windows (a hand-over's new execution): nothing in hand, only where to read on.
    if (isObject(book) && book.next === "read") return state as unknown as WorkflowState;
    if (!("jobs" in state)) {
        const byRef = settings?.store === undefined ? "" : ` or {"jobsFrom": {"bucket": "${settings.store.bucket}", "key": "${settings.store.inputPrefix}..."}}`;
        invalid(`the workflow input has no "jobs" field; expected {"jobs": [ ... ]}${byRef}`);
    }
    if (!Array.isArray(state.jobs)) invalid(`"jobs" must be an array, got ${describe(state.jobs)}`);
    validateJobs(state.jobs, "jobs");
    return state as unknown as WorkflowState;
}

function validateRef(ref: unknown, field: string): RefBookkeeping {
    const f = `${ITERATOR_FIELD}.ref`;
    if (!isObject(ref) || typeof ref.run !== "string" || ref.run === "") invalid(`${f} must be where a run by reference stands, with its run's name; got ${describe(ref)} in ${field}`);
    for (const key of ["cursor", "line", "size", "window", "total", "done", "failed"] as const) {
        if (!isWhole(ref[key])) invalid(`${f}.${key} must be a whole number >= 0, got ${describe(ref[key])}`);
    }
    return ref as unknown as RefBookkeeping;
}

/** The bookkeeping of a state between jobs, checked against the list it claims to describe. */
function workBook(state: WorkflowState, settings: Settings): IteratorBookkeeping {
    const book = state[ITERATOR_FIELD] as unknown as Record<string, unknown>;
    const f = ITERATOR_FIELD;
    if (book.next !== "work") invalid(`${f}.next must be "work", "read" or "handover", got ${describe(book.next)}`);
    const n = state.jobs.length;
    if (!isWhole(book.offset) || book.offset >= Math.max(n, 1)) invalid(`${f}.offset must be a whole number below the number of jobs (${n}), got ${describe(book.offset)}`);
    if (!isWhole(book.processed)) invalid(`${f}.processed must be a whole number >= 0, got ${describe(book.processed)}`);
    const ref = book.ref === undefined ? undefined : validateRef(book.ref, f);
    if (book.check !== checkOf(book.offset, n, state.jobs[0], settings, ref)) {
        invalid(`${f} does not belong to these jobs (its check does not match): it is the workflow's own bookkeeping; leave it out of new input, or pass a kept state unedited`);
    }
    return book as unknown as IteratorBookkeeping;
}

/** The bookkeeping of a state handed over, checked: slots, the finished jobs, and the digest of those sent. */
function handOverBook(state: WorkflowState): HandOverBookkeeping {
    const book = state[ITERATOR_FIELD] as unknown as Record<string, unknown>;
    const f = ITERATOR_FIELD;
    if (!isObject(book.send)) invalid(`${f}.send must be what the hand-over sends, or {"output": ...} once it has come back; got ${describe(book.send)}`);
    if (book.ref !== undefined) {
        validateRef(book.ref, f);
        return book as unknown as HandOverBookkeeping;
    }
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

type Rest = Omit<WorkflowState, "jobs" | typeof ITERATOR_FIELD>;

function withoutBook(state: WorkflowState): Rest {
    const { [ITERATOR_FIELD]: _book, jobs: _jobs, ...rest } = state;
    return rest;
}

/** Bookkeeping at its largest for a list of n jobs: what the budget counts for it. */
const largestWorkBook = (n: number, ref?: RefBookkeeping): IteratorBookkeeping => ({
    next: "work",
    offset: n,
    processed: n,
    ...(ref === undefined ? {} : { ref: { ...ref, cursor: ref.size, line: ref.line + n, window: ref.window + 1, total: ref.total + n, done: ref.total + n, failed: ref.total + n } }),
    check: "0".repeat(64),
});

/**
 * Brings the first unfinished job (from jobs[0] on, wrapping around) to the front, or, when none
 * is left, puts the list back in the caller's order and drops the bookkeeping: its absence is
 * what tells the Choice state that the workflow is done. By reference, a finished window is
 * written and the next one read instead, until the object ends.
 */
async function settle(state: WorkflowState, offset: number, processed: number, settings: Settings, overhead: number, ref?: RefBookkeeping): Promise<WorkflowState> {
    const rest = withoutBook(state);
    const n = state.jobs.length;
    const skip = state.jobs.findIndex((job) => job.done !== true);
    if (skip === -1) {
        const inOrder = rotateLeft(state.jobs, n - offset);
        if (ref !== undefined) return nextWindow(rest, inOrder, ref, processed, settings, overhead);
        const result = { ...rest, jobs: inOrder } as WorkflowState;
        guard(`the finished list`, bytes(result), settings);
        return result;
    }
    const jobs = rotateLeft(state.jobs, skip);
    const unfinished = jobs.filter((job) => job.done !== true);
    // By reference, a window is handed over whole, once written: see nextWindow.
    const per = ref === undefined ? (settings.jobsPerExecution ?? 0) : 0;
    if (per > 0 && processed >= per) return handOver(rest, rotateLeft(state.jobs, n - offset), settings);
    const at = (offset + skip) % n;
    const book: IteratorBookkeeping = { next: "work", offset: at, processed, ...(ref === undefined ? {} : { ref }), check: checkOf(at, n, jobs[0], settings, ref) };
    const result = { ...rest, jobs, [ITERATOR_FIELD]: book } as WorkflowState;
    // The largest state still to come: every unfinished job grown, a caught error at its largest, and
    // this task's own Parameters around it.
    const size = bytes(result);
    const finalBytes = size - bytes(book) + bytes(largestWorkBook(n, ref)) + unfinished.length * settings.growthPerJobBytes + settings.transientBytes + overhead;
    guard(`the workflow state is ${size} bytes and its ${unfinished.length} unfinished job(s) would bring it`, finalBytes, settings);
    // A hand-over still to come in this execution: its task result, with the jobs it will send. Checked
    // once when an execution starts (and again when it hands over), not for every job.
    if (processed === 0 && per > 0 && unfinished.length > per) {
        guard(`the hand-over's task result (the ${unfinished.length - per} job(s) it will send, and what comes back)`, handOverResultBytes(unfinished.slice(per), settings), settings);
    }
    return result;
}

/** A run by reference: a fresh input starts at the object's first line, under this execution's name. */
function firstRef(state: WorkflowState, settings: Settings, execution: string | undefined): { rest: Rest; ref: RefBookkeeping } {
    const store = settings.store;
    const from = state.jobsFrom;
    if (store === undefined) invalid(NO_JOB_STORE);
    if (!isObject(from) || typeof from.bucket !== "string" || typeof from.key !== "string") invalid(`jobsFrom must be {"bucket": "...", "key": "..."}, got ${describe(from)}`);
    if (from.bucket !== store.bucket) invalid(`jobsFrom.bucket must be the job store's bucket "${store.bucket}", got ${JSON.stringify(from.bucket).slice(0, 80)}`);
    if (!from.key.startsWith(store.inputPrefix) || from.key.length === store.inputPrefix.length) invalid(`jobsFrom.key must be under the job store's input prefix "${store.inputPrefix}", got ${JSON.stringify(from.key).slice(0, 120)}`);
    if (typeof execution !== "string" || execution === "") invalid(`"start" needs the execution's name to read jobs by reference`);
    const { jobs: _none, ...rest } = state;
    return { rest: rest as Rest, ref: { run: execution, cursor: 0, line: 1, size: 0, window: 0, total: 0, done: 0, failed: 0 } };
}

/** Reads the window at the cursor into `jobs`, or, when the object has ended, gives the run's output. */
async function readAt(rest: Rest, ref: RefBookkeeping, settings: Settings, overhead: number, processed = 0): Promise<WorkflowState> {
    const store = settings.store!;
    // Once the object's size is known, its end is too: no request to find nothing there.
    const ended = ref.window > 0 && ref.cursor >= ref.size;
    let read = { jobs: [] as Job[], cursor: ref.cursor, line: ref.line, size: ref.size };
    try {
        if (!ended) read = await readWindow(rest.jobsFrom as JobsRef, ref.cursor, ref.line, settings.windowJobs!, settings.maxLineBytes!);
    } catch (err) {
        if (err instanceof RefError) invalid(err.message);
        throw err;
    }
    if (read.jobs.length === 0) {
        const written = ref.cursor === 0 && ref.window === 0 ? 0 : ref.window;
        const result = {
            ...rest,
            results: { bucket: store.bucket, prefix: `${store.resultsPrefix}${ref.run}/`, objects: written, first: written > 0 ? resultKey(store, ref.run, 0) : null },
            total: ref.total,
            done: ref.done,
            failed: ref.failed,
        } as unknown as WorkflowState;
        return result;
    }
    // The cursor moves past the window at once: once the window is written, reading goes on from there.
    const next: RefBookkeeping = { ...ref, cursor: read.cursor, line: read.line, size: read.size };
    return settle({ ...rest, jobs: read.jobs } as WorkflowState, 0, processed, settings, overhead, next);
}

/** A finished window: written, counted, then the next one read, or the rest handed over. */
async function nextWindow(rest: Rest, inOrder: Job[], ref: RefBookkeeping, processed: number, settings: Settings, overhead: number): Promise<WorkflowState> {
    await writeWindow(settings.store!, ref.run, ref.window, inOrder);
    const failed = inOrder.filter((job) => job.error !== undefined).length;
    const next: RefBookkeeping = { ...ref, window: ref.window + 1, total: ref.total + inOrder.length, done: ref.done + inOrder.length - failed, failed: ref.failed + failed };
    const per = settings.jobsPerExecution ?? 0;
    if (per > 0 && next.cursor < next.size && processed + settings.windowJobs! > per) {
        // Only where to read on is sent: a chain of executions costs no payload.
        const send = { ...rest, [ITERATOR_FIELD]: { next: "read", ref: next, check: readCheck(next) } };
        return { ...rest, jobs: [], [ITERATOR_FIELD]: { next: "handover", ref: next, send } } as WorkflowState;
    }
    return readAt(rest, next, settings, overhead, processed);
}

/**
 * The task results a hand-over of `pending` brings, at their largest: the new execution's
 * description (its input as a JSON string, its output as JSON), or, when that execution has to be
 * read back after a lost response, its output as a JSON string in a history event.
 */
export function handOverResultBytes(pending: Job[], settings: Settings): number {
    const input = { handedOver: { jobs: pending }, [STARTED_BY_FIELD]: "x".repeat(ARN_MAX_BYTES) };
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
function handOver(rest: Rest, inOrder: Job[], settings: Settings): WorkflowState {
    const pending = inOrder.filter((job) => job.done !== true);
    const book: HandOverBookkeeping = {
        next: "handover",
        slots: inOrder.map((job) => (job.done === true ? "d" : "p")).join(""),
        done: inOrder.filter((job) => job.done === true),
        sent: digestOf(pending, settings),
        send: { jobs: pending },
    };
    const result = { ...rest, jobs: [], [ITERATOR_FIELD]: book } as WorkflowState;
    guard(`the hand-over's task result (the ${pending.length} job(s) it sends, and what comes back)`, handOverResultBytes(pending, settings), settings);
    // Once merged, every job is finished and in place; until then the finished ones wait beside the output.
    guard(`the state after the hand-over`, bytes(result) + pending.length * settings.growthPerJobBytes + bytes({ output: {} }), settings);
    return result;
}

/** The caller's list again: finished jobs from the bookkeeping, handed-over ones from `back`, each in its slot. */
function interleave(state: WorkflowState, book: HandOverBookkeeping, back: Job[], field: string, settings: Settings): WorkflowState {
    const slots = book.slots!;
    const expected = [...slots].filter((c) => c === "p").length;
    if (back.length !== expected) invalid(`${field} must hold the ${expected} job(s) handed over, got ${back.length}`);
    if (digestOf(back, settings) !== book.sent) {
        invalid(`${field} are not the jobs handed over: without the fields the workflow writes, they differ from what was sent`);
    }
    const done = [...book.done!];
    const pending = [...back];
    return { ...withoutBook(state), jobs: [...slots].map((slot) => (slot === "d" ? done.shift()! : pending.shift()!)) } as WorkflowState;
}

/** Puts what the new execution returned back among the finished jobs, in the caller's order; by reference, takes its output. */
function merge(state: WorkflowState, settings: Settings): WorkflowState {
    const book = handOverBook(state);
    const output = book.send.output;
    const field = `${ITERATOR_FIELD}.send.output`;
    if (!isObject(output)) invalid(`"merge" needs ${ITERATOR_FIELD}.send to be {"output": <the new execution's output>}, got ${describe(book.send)}`);
    if (book.ref !== undefined) {
        const results = output.results;
        const prefix = `${settings.store?.resultsPrefix ?? ""}${book.ref.run}/`;
        if (!isObject(results) || results.prefix !== prefix || ITERATOR_FIELD in output) invalid(`${field} must be the finished run's output, with its results under "${prefix}"`);
        if (!isWhole(output.total) || output.total < book.ref.total) invalid(`${field}.total must count at least the ${book.ref.total} job(s) written before the hand-over, got ${describe(output.total)}`);
        return output as unknown as WorkflowState;
    }
    const back = validateJobs(output.jobs, `${field}.jobs`, true);
    const result = interleave(state, book, back, `${field}.jobs`, settings);
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

/** The state to resume from, and where in it: a kept state's jobs back in order with their progress. */
function resume(state: WorkflowState, settings: Settings): { state: WorkflowState; offset: number; ref?: RefBookkeeping } {
    const book = state[ITERATOR_FIELD] as Record<string, unknown> | undefined;
    if (book === undefined) return { state, offset: 0 };
    if (book.next === "handover") {
        const handed = handOverBook(state);
        if (isObject(handed.send.output)) return { state: merge(state, settings), offset: 0 };
        // A hand-over that failed: by reference, read on where it was sent; inline, the jobs sent, with
        // whatever progress was composed back into them.
        if (handed.ref !== undefined) return { state: handed.send as WorkflowState, offset: 0 };
        return { state: interleave(state, handed, validateJobs(handed.send.jobs, `${ITERATOR_FIELD}.send.jobs`), `${ITERATOR_FIELD}.send.jobs`, settings), offset: 0 };
    }
    if (book.next === "read") return { state, offset: 0 };
    const work = workBook(state, settings);
    return { state, offset: work.offset, ref: work.ref };
}

export async function moveToEnd(event: MoveToEndEvent): Promise<WorkflowState> {
    if (!isObject(event)) invalid(`the MoveToEnd event must be an object, got ${describe(event)}`);
    const settings = validateSettings(event.settings);
    // A hand-over's new execution gets its input wrapped beside the field that ties it to its parent.
    const given = isObject(event.state) && isObject(event.state.handedOver) && event.action === "start" ? event.state.handedOver : event.state;
    const state = validateState(given, settings);
    // What this task's Parameters add around the state, for the longest action name.
    const overhead = bytes({ ...event, action: "advance", state: null }) - bytes(null);
    switch (event.action) {
        case "start": {
            const book = state[ITERATOR_FIELD];
            if (book === undefined && "jobsFrom" in state) {
                const { rest, ref } = firstRef(state, settings, event.execution);
                return readAt(rest, ref, settings, overhead);
            }
            const from = resume(state, settings);
            const read = from.state[ITERATOR_FIELD];
            if (read?.next === "read") {
                const ref = validateRef(read.ref, ITERATOR_FIELD);
                if (read.check !== readCheck(ref)) invalid(`${ITERATOR_FIELD} does not belong to this run (its check does not match): pass a kept state unedited`);
                return readAt(withoutBook(from.state), ref, settings, overhead);
            }
            // A kept state resumes where it stopped and still ends in the caller's order.
            return settle(from.state, from.offset, 0, settings, overhead, from.ref);
        }
        case "merge": {
            if (state[ITERATOR_FIELD]?.next !== "handover") invalid(`"merge" needs a state handed over by this workflow (${ITERATOR_FIELD}.next "handover")`);
            const merged = merge(state, settings);
            // By reference the output is the run's; inline, every job is back in place.
            return merged[ITERATOR_FIELD] === undefined && !Array.isArray(merged.jobs) ? merged : settle(merged, 0, 0, settings, overhead);
        }
        case "advance": {
            if (state[ITERATOR_FIELD] === undefined || state.jobs.length === 0) invalid(`"advance" needs a state with jobs and "${ITERATOR_FIELD}"; start the workflow from its first state`);
            const book = workBook(state, settings);
            const [head, ...tail] = state.jobs;
            const jobs = [...tail, { ...trimError(head), done: true }];
            return settle({ ...state, jobs }, (book.offset + 1) % jobs.length, book.processed + 1, settings, overhead, book.ref);
        }
        default:
            return invalid(`action must be "start", "advance" or "merge", got ${describe((event as { action: unknown }).action)}`);
    }
}

/**
 * A state kept from a failure, ready for a new execution: inline, every job back in the caller's
 * order without bookkeeping; by reference, the window in order with where the run stands (its
 * bookkeeping stays: it is where to read on). `handedOver` is the same of the execution a hand-over
 * started, if it failed too: inline, its progress goes in place of the jobs sent to it; by reference,
 * it stands further on, so it is the state to resume from.
 */
export function inCallerOrder(state: WorkflowState, settings: Settings, handedOver?: WorkflowState): WorkflowState {
    const book = state[ITERATOR_FIELD] as HandOverBookkeeping | undefined;
    if (book?.next === "handover" && handedOver !== undefined) {
        if (book.ref !== undefined) return inCallerOrder(handedOver, settings);
        if (!isObject(book.send.output)) {
            const composed = { ...state, [ITERATOR_FIELD]: { ...book, send: { jobs: inCallerOrder(handedOver, settings).jobs } } } as WorkflowState;
            return inCallerOrder(composed, settings);
        }
    }
    const from = resume(state, settings);
    if (from.state[ITERATOR_FIELD]?.next === "read") return from.state;
    const n = from.state.jobs.length;
    const jobs = rotateLeft(from.state.jobs, n - from.offset);
    if (from.ref === undefined) return { ...withoutBook(from.state), jobs } as WorkflowState;
    const kept: IteratorBookkeeping = { next: "work", offset: 0, processed: 0, ref: from.ref, check: checkOf(0, n, jobs[0], settings, from.ref) };
    return { ...withoutBook(from.state), jobs, [ITERATOR_FIELD]: kept } as WorkflowState;
}

export const handler = async (event: MoveToEndEvent): Promise<WorkflowState> => moveToEnd(event);
