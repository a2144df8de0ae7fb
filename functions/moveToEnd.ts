// The MoveToEnd Lambda: the only code the iterator strategy runs in AWS besides the user's steps.
// It ships as one CommonJS file with no runtime dependencies, so everything it needs lives here,
// and the definition builder imports its constants from this file rather than repeating them.

/** Field of the workflow state where the iterator keeps its bookkeeping while jobs remain. */
export const ITERATOR_FIELD = "_iterator";

export const INVALID_INPUT = "IteratorWorkflow.InvalidInput";
export const PAYLOAD_TOO_LARGE = "IteratorWorkflow.PayloadTooLarge";

/** Step Functions' limit on any state's input or output, in UTF-8 bytes. */
export const STEP_FUNCTIONS_PAYLOAD_LIMIT = 262_144;

export type Job = { [key: string]: unknown; done?: boolean };

export interface IteratorBookkeeping {
    /** Index, in the caller's original list, of the job now at jobs[0]. */
    offset: number;
    /** Jobs finished by this execution; a hand-over starts the count again. */
    processed: number;
    /** What the Choice state does next: work on jobs[0]; a hand-over has its own bookkeeping. */
    next: "work";
}

/**
 * While a new execution works on the unfinished jobs, the state holds only those in `jobs` (the new
 * execution's input) and keeps the finished ones here, with where each stood, to merge them back.
 */
export interface HandOverBookkeeping {
    next: "handover";
    /** One character per job of the caller's list, in its order: `d` finished (in `done`), `p` handed over. */
    slots: string;
    done: Job[];
    /** What the new execution returned: `{"jobs": [...]}`, written by the HandOver state. */
    returned?: { jobs?: unknown };
}

export interface WorkflowState {
    [key: string]: unknown;
    jobs: Job[];
    _iterator?: IteratorBookkeeping | HandOverBookkeeping;
}

export interface Settings {
    /** Bytes a state may take; Step Functions' own limit unless a test lowers it. */
    payloadLimitBytes: number;
    /** Bytes one job is expected to grow by (its results and `done`), to project the final size. */
    growthPerJobBytes: number;
    /** Room kept free for results larger than declared and the task's own envelope. */
    marginBytes: number;
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

function validateSettings(settings: unknown): Settings {
    if (!isObject(settings)) invalid(`settings must be an object, got ${describe(settings)}`);
    for (const key of ["payloadLimitBytes", "growthPerJobBytes", "marginBytes"] as const) {
        const v = settings[key];
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0) invalid(`settings.${key} must be a whole number >= 0, got ${describe(v)}`);
    }
    const per = settings.jobsPerExecution;
    if (per !== undefined && (typeof per !== "number" || !Number.isInteger(per) || per < 0)) {
        invalid(`settings.jobsPerExecution must be a whole number >= 0, got ${describe(per)}`);
    }
    return settings as unknown as Settings;
}

/** Checks the caller's state; the messages name the field, as a user would look for it. */
export function validateState(state: unknown): WorkflowState {
    if (!isObject(state)) invalid(`the workflow input must be a JSON object, got ${describe(state)}`);
    if (!("jobs" in state)) invalid(`the workflow input has no "jobs" field; expected {"jobs": [ ... ]}`);
    const jobs = state.jobs;
    if (!Array.isArray(jobs)) invalid(`"jobs" must be an array, got ${describe(jobs)}`);
    jobs.forEach((job, i) => {
        if (!isObject(job)) invalid(`jobs[${i}] must be an object, got ${describe(job)}`);
        if ("done" in job && typeof job.done !== "boolean") invalid(`jobs[${i}].done must be true or false, got ${describe(job.done)}`);
    });
    const book = state[ITERATOR_FIELD];
    if (book !== undefined) {
        if (!isObject(book)) invalid(`"${ITERATOR_FIELD}" is reserved for the workflow's bookkeeping; got ${describe(book)}`);
        if ("slots" in book) return state as WorkflowState; // A hand-over in progress: "merge" checks it.
        const offset = book.offset;
        if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset >= Math.max(jobs.length, 1)) {
            invalid(`${ITERATOR_FIELD}.offset must be a whole number below the number of jobs (${jobs.length}), got ${describe(offset)}`);
        }
    }
    return state as WorkflowState;
}

function rotateLeft<T>(items: T[], by: number): T[] {
    const n = items.length;
    const k = n === 0 ? 0 : ((by % n) + n) % n;
    return k === 0 ? items : items.slice(k).concat(items.slice(0, k));
}

function byteLength(value: unknown): number {
    return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/**
 * Brings the first unfinished job (from jobs[0] on, wrapping around) to the front, or, when none
 * is left, puts the list back in the caller's order and drops the bookkeeping: its absence is
 * what tells the Choice state that the workflow is done.
 */
function settle(state: WorkflowState, offset: number, processed: number, settings: Settings): WorkflowState {
    const { [ITERATOR_FIELD]: _old, ...rest } = state;
    const n = state.jobs.length;
    const skip = state.jobs.findIndex((job) => job.done !== true);
    if (skip === -1) {
        const result: WorkflowState = { ...rest, jobs: rotateLeft(state.jobs, n - offset) };
        guardPayload(result, 0, settings);
        return result;
    }
    const jobs = rotateLeft(state.jobs, skip);
    const remaining = jobs.filter((job) => job.done !== true).length;
    const per = settings.jobsPerExecution ?? 0;
    if (per > 0 && processed >= per) return handOver(rest, rotateLeft(state.jobs, n - offset), remaining, settings);
    const result: WorkflowState = { ...rest, jobs, [ITERATOR_FIELD]: { offset: (offset + skip) % n, processed, next: "work" } };
    guardPayload(result, remaining, settings);
    return result;
}

/**
 * Splits the caller's list for a hand-over: the unfinished jobs become the new execution's input, in
 * the caller's order, and the finished ones wait here. The HandOver task's result carries the jobs
 * it sent and the jobs it got back, so that too must fit under the limit.
 */
function handOver(rest: Omit<WorkflowState, "jobs">, inOrder: Job[], remaining: number, settings: Settings): WorkflowState {
    const pending = inOrder.filter((job) => job.done !== true);
    const book: HandOverBookkeeping = { next: "handover", slots: inOrder.map((job) => (job.done === true ? "d" : "p")).join(""), done: inOrder.filter((job) => job.done === true) };
    const result: WorkflowState = { ...rest, jobs: pending, [ITERATOR_FIELD]: book };
    guardPayload(result, remaining, settings);
    const sent = byteLength({ jobs: pending });
    guardSize(`the hand-over's result (the ${remaining} job(s) it sends and gets back)`, 2 * sent + remaining * settings.growthPerJobBytes, settings);
    return result;
}

/** Puts what the new execution returned back among the finished jobs, in the caller's order. */
function merge(state: WorkflowState, settings: Settings): WorkflowState {
    const book = state[ITERATOR_FIELD];
    if (book === undefined || !("slots" in book)) invalid(`"merge" needs a state handed over by this workflow, with ${ITERATOR_FIELD}.slots`);
    const returned = isObject(book.returned) ? book.returned.jobs : undefined;
    if (!Array.isArray(returned)) invalid(`the hand-over should return {"jobs": [ ... ]} in ${ITERATOR_FIELD}.returned, got ${describe(book.returned)}`);
    const result = interleave(state, book, returned as Job[], `${ITERATOR_FIELD}.returned.jobs`);
    guardPayload(result, 0, settings);
    return result;
}

/** The caller's list again: finished jobs from the bookkeeping, handed-over ones from `back`, each in its slot. */
function interleave(state: WorkflowState, book: HandOverBookkeeping, back: Job[], field: string): WorkflowState {
    if (typeof book.slots !== "string" || !/^[dp]*$/.test(book.slots) || !Array.isArray(book.done)) invalid(`${ITERATOR_FIELD} is not a hand-over this workflow wrote: it needs slots of d and p, and done`);
    const expected = [...book.slots].filter((c) => c === "p").length;
    if (back.length !== expected || book.done.length !== book.slots.length - expected) {
        invalid(`${field} should hold the ${expected} handed-over job(s), and ${ITERATOR_FIELD}.done the ${book.slots.length - expected} finished one(s); got ${back.length} and ${book.done.length}`);
    }
    const { [ITERATOR_FIELD]: _book, ...rest } = state;
    const done = [...book.done];
    const pending = [...back];
    return { ...rest, jobs: [...book.slots].map((slot) => (slot === "d" ? done.shift()! : pending.shift()!)) };
}

/**
 * AWS fails a state past 262,144 bytes with States.DataLimitExceeded, which no Catch can handle.
 * Failing here, while the state still fits, keeps the work done so far and says why.
 */
function guardPayload(state: WorkflowState, remaining: number, settings: Settings): void {
    const size = byteLength(state);
    guardSize(`the workflow state is ${size} bytes and ${remaining} unfinished job(s) would bring it`, size + remaining * settings.growthPerJobBytes, settings, remaining > 0);
}

function guardSize(what: string, projected: number, settings: Settings, withMargin = true): void {
    const budget = settings.payloadLimitBytes - (withMargin ? settings.marginBytes : 0);
    if (projected > budget) {
        throw new WorkflowError(
            PAYLOAD_TOO_LARGE,
            `${what} to about ${projected} bytes, over the ${budget}-byte budget under Step Functions' ${settings.payloadLimitBytes}-byte payload limit; ` +
                `keep large data in S3 or DynamoDB and pass references in the jobs, or split the list`,
        );
    }
}

export function moveToEnd(event: MoveToEndEvent): WorkflowState {
    if (!isObject(event)) invalid(`the MoveToEnd event must be an object, got ${describe(event)}`);
    const settings = validateSettings(event.settings);
    const state = validateState(event.state);
    const book = state[ITERATOR_FIELD];
    switch (event.action) {
        case "start":
            // A state kept from a failed hand-over resumes with its handed-over jobs put back in place.
            if (book !== undefined && "slots" in book) return settle(interleave(state, book, state.jobs, "jobs"), 0, 0, settings);
            // A previous execution's state keeps its offset, so a resumed list still ends in the caller's order.
            return settle(state, book?.offset ?? 0, 0, settings);
        case "merge":
            return merge(state, settings);
        case "advance": {
            if (book === undefined || "slots" in book || state.jobs.length === 0) invalid(`"advance" needs a state with jobs and "${ITERATOR_FIELD}"; start the workflow from its first state`);
            const [head, ...tail] = state.jobs;
            const jobs = [...tail, { ...head, done: true }];
            return settle({ ...state, jobs }, (book.offset + 1) % jobs.length, (book.processed ?? 0) + 1, settings);
        }
        default:
            return invalid(`action must be "start", "advance" or "merge", got ${describe((event as { action: unknown }).action)}`);
    }
}

export const handler = async (event: MoveToEndEvent): Promise<WorkflowState> => moveToEnd(event);
