// Generated from components/workflowTags.ts by `npm run generate:policies`: do not edit this copy.
// Change components/workflowTags.ts and run that script; `npm test` fails while the two differ.
// What the policy pack needs to know about a workflow, recorded as tags on its state machine.
//
// A policy analyzer sees custom resources' inputs, not a component's arguments, and during a first
// `pulumi preview` the definition is still unknown (it names the MoveToEnd function's ARN). Tags
// computed from the steps alone are known then, survive to the engine, and cost nothing in AWS.
// AWS allows tag values of letters, digits, spaces and `_ . : / = + - @`: plain numbers and words.

export const TAG_PREFIX = "iterator-workflow:";

export const TAG = {
    strategy: `${TAG_PREFIX}strategy`,
    maxJobs: `${TAG_PREFIX}max-jobs`,
    maxJobBytes: `${TAG_PREFIX}max-job-bytes`,
    growthPerJobBytes: `${TAG_PREFIX}job-growth-bytes`,
    transientBytes: `${TAG_PREFIX}transient-bytes`,
    taskOverheadBytes: `${TAG_PREFIX}task-overhead-bytes`,
    historyEventsPerJob: `${TAG_PREFIX}history-events-per-job`,
    fixedHistoryEvents: `${TAG_PREFIX}history-events-fixed`,
    jobsPerExecution: `${TAG_PREFIX}jobs-per-execution`,
    windowJobs: `${TAG_PREFIX}window-jobs`,
    lineBytes: `${TAG_PREFIX}line-bytes`,
} as const;

export type Strategy = "iterator" | "map";
export const STRATEGIES: readonly Strategy[] = ["iterator", "map"];

export interface WorkflowFacts {
    strategy: Strategy;
    /** The declared `limits`, when declared. */
    maxJobs?: number;
    maxJobBytes?: number;
    /** Bytes a finished job adds at most: every step's result, `done`, and a recorded error. */
    growthPerJobBytes: number;
    /** Bytes a caught error adds to the job at hand until it is trimmed; 0 when nothing is caught. */
    transientBytes: number;
    /** Iterator: bytes MoveToEnd's Parameters add around the state; 0 for a map. */
    taskOverheadBytes: number;
    historyEventsPerJob: number;
    fixedHistoryEvents: number;
    /** Jobs after which an execution hands the rest over to a new one; absent: it never does. */
    jobsPerExecution?: number;
    /** With a job store: jobs held at once when reading by reference, and the longest line read. */
    windowJobs?: number;
    lineBytes?: number;
}

export function factsToTags(facts: WorkflowFacts): Record<string, string> {
    const tags: Record<string, string> = {
        [TAG.strategy]: facts.strategy,
        [TAG.growthPerJobBytes]: String(facts.growthPerJobBytes),
        [TAG.transientBytes]: String(facts.transientBytes),
        [TAG.taskOverheadBytes]: String(facts.taskOverheadBytes),
        [TAG.historyEventsPerJob]: String(facts.historyEventsPerJob),
        [TAG.fixedHistoryEvents]: String(facts.fixedHistoryEvents),
    };
    if (facts.maxJobs !== undefined) tags[TAG.maxJobs] = String(facts.maxJobs);
    if (facts.maxJobBytes !== undefined) tags[TAG.maxJobBytes] = String(facts.maxJobBytes);
    if (facts.jobsPerExecution !== undefined) tags[TAG.jobsPerExecution] = String(facts.jobsPerExecution);
    if (facts.windowJobs !== undefined) tags[TAG.windowJobs] = String(facts.windowJobs);
    if (facts.lineBytes !== undefined) tags[TAG.lineBytes] = String(facts.lineBytes);
    return tags;
}

export class TagError extends Error {}

/**
 * The facts a state machine's tags record, or undefined when it is not an iterator workflow.
 * @throws TagError naming the tag, when one was edited into something that is not a whole number.
 */
export function factsFromTags(tags: Record<string, unknown> | undefined | null): WorkflowFacts | undefined {
    const strategy = tags?.[TAG.strategy];
    if (tags == null || strategy === undefined) return undefined;
    if (!STRATEGIES.includes(strategy as Strategy)) throw new TagError(`tag ${TAG.strategy} must be one of ${STRATEGIES.join(", ")}, got ${JSON.stringify(strategy)}`);
    const whole = (key: string, required: boolean): number | undefined => {
        const raw = tags[key];
        if (raw === undefined) {
            if (required) throw new TagError(`tag ${key} is missing; the component records it beside ${TAG.strategy}`);
            return undefined;
        }
        const value = Number(raw);
        if (typeof raw !== "string" || !/^\d+$/.test(raw) || !Number.isSafeInteger(value)) throw new TagError(`tag ${key} must be a whole number, got ${JSON.stringify(raw)}`);
        return value;
    };
    return {
        strategy: strategy as Strategy,
        maxJobs: whole(TAG.maxJobs, false),
        maxJobBytes: whole(TAG.maxJobBytes, false),
        growthPerJobBytes: whole(TAG.growthPerJobBytes, true)!,
        transientBytes: whole(TAG.transientBytes, true)!,
        taskOverheadBytes: whole(TAG.taskOverheadBytes, true)!,
        historyEventsPerJob: whole(TAG.historyEventsPerJob, true)!,
        fixedHistoryEvents: whole(TAG.fixedHistoryEvents, true)!,
        jobsPerExecution: whole(TAG.jobsPerExecution, false),
        windowJobs: whole(TAG.windowJobs, false),
        lineBytes: whole(TAG.lineBytes, false),
    };
}
