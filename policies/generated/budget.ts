// Generated from components/budget.ts by `npm run generate:policies`: do not edit this copy.
// Change components/budget.ts and run that script; `npm test` fails while the two differ.
// The payload and history arithmetic the component and the policy pack share. It imports nothing, so
// the policy pack can carry its own copy of this file (policies/ must publish on its own).

/** A Standard execution fails at this many history events (developer guide, "Quotas"). */
export const HISTORY_EVENT_LIMIT = 25_000;
/** Step Functions' limit on any state's or task's input or output, in UTF-8 bytes (developer guide, "Quotas"). */
export const PAYLOAD_LIMIT_BYTES = 262_144;
/** Room MoveToEnd's run-time guard keeps free for results larger than declared and the task's envelope. */
export const PAYLOAD_MARGIN_BYTES = 8_192;
/** The state's bookkeeping field; the MoveToEnd function names it too (a test keeps them equal). */
export const BOOKKEEPING_FIELD = "_iterator";

/** Bytes of `{"jobs":[]}` and the bookkeeping at its largest, for a list of `maxJobs`. */
export function envelopeBytes(maxJobs: number): number {
    const book = { offset: maxJobs, processed: maxJobs, next: "handover" };
    return Buffer.byteLength(JSON.stringify({ jobs: [], [BOOKKEEPING_FIELD]: book }));
}

/**
 * The largest the workflow state gets: `maxJobs` jobs of `maxJobBytes` each, every one carrying all
 * its results and `done`, the comma between them, and the envelope with its bookkeeping.
 */
export function worstCaseStateBytes(maxJobs: number, maxJobBytes: number, growthPerJobBytes: number): number {
    return envelopeBytes(maxJobs) + maxJobs * (maxJobBytes + growthPerJobBytes + 1);
}
