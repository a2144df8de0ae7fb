// The MoveToEnd handler, loaded from the archive text the stack deploys.
import { expect } from "chai";
import { BOOKKEEPING_FIELD, PAYLOAD_LIMIT_BYTES, ARN_MAX_BYTES, HANDOVER_RESULT_META_BYTES } from "../components/budget";
import * as lambda from "../functions/moveToEnd";
import { INVALID_INPUT, ITERATOR_FIELD, PAYLOAD_TOO_LARGE, type MoveToEndEvent, type Settings, type WorkflowState } from "../functions/moveToEnd";
import { loadHandler, moveToEndArchive, moveToEndCode } from "../components/moveToEndCode";
import { rejection } from "./helpers/errors";

const handler = loadHandler(moveToEndArchive());
const settings: Settings = { payloadLimitBytes: 262_144, growthPerJobBytes: 50, marginBytes: 1_000, transientBytes: 0, resultKeys: ["r", "done", "error"] };
const call = (action: MoveToEndEvent["action"], state: unknown, s: Settings = settings) => handler({ action, state, settings: s });

/** Runs a list to its end as the state machine would, with `work` as the only step. */
async function runAll(state: unknown, s: Settings = settings, work = (job: Record<string, unknown>) => ({ ...job, r: 1 })): Promise<WorkflowState> {
    let current = await call("start", state, s);
    while (current[ITERATOR_FIELD]?.next === "work") {
        current = await call("advance", { ...current, jobs: [work(current.jobs[0]), ...current.jobs.slice(1)] }, s);
    }
    return current;
}

describe("MoveToEnd handler (from the deployed archive)", () => {
    it("names the payload limit, the bookkeeping field and the hand-over's sizes as the budget arithmetic does", () => {
        expect([lambda.STEP_FUNCTIONS_PAYLOAD_LIMIT, ITERATOR_FIELD, lambda.ARN_MAX_BYTES, lambda.HANDOVER_RESULT_META_BYTES]).to.deep.equal([PAYLOAD_LIMIT_BYTES, BOOKKEEPING_FIELD, ARN_MAX_BYTES, HANDOVER_RESULT_META_BYTES]);
    });

    it("is plain CommonJS that bundles nothing: Node's crypto, its own jobStore.js, and the AWS SDK the Lambda runtime provides", () => {
        const requires = (file: string) => [...moveToEndArchive()[file].matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        expect(moveToEndCode()).to.match(/exports\.handler\s*=/);
        expect(requires("index.js")).to.deep.equal(["node:crypto", "./jobStore"]);
        expect(requires("jobStore.js")).to.deep.equal(["@aws-sdk/client-s3"]);
    });

    it("start: brings the first unfinished job to the front and records its original index", async () => {
        const out = await call("start", { jobs: [{ a: 1, done: true }, { b: 2 }, { c: 3 }], other: "kept" });
        expect(out.jobs).to.deep.equal([{ b: 2 }, { c: 3 }, { a: 1, done: true }]);
        expect(out[ITERATOR_FIELD]).to.include({ next: "work", offset: 1, processed: 0 });
        expect(out.other).to.equal("kept");
    });

    it("start on an empty list finishes at once: no bookkeeping left", async () => {
        expect(await call("start", { jobs: [] })).to.deep.equal({ jobs: [] });
    });

    it("advance: marks jobs[0] done, rotates it to the end, and ends in the caller's order", async () => {
        let state = await call("start", { jobs: [{ n: 1 }, { n: 2 }, { n: 3 }] });
        state = await call("advance", state);
        expect(state.jobs.map((j) => j.n)).to.deep.equal([2, 3, 1]);
        expect(state.jobs[2].done).to.equal(true);
        state = await call("advance", state);
        state = await call("advance", state);
        expect(state).to.deep.equal({ jobs: [1, 2, 3].map((n) => ({ n, done: true })) });
    });

    it("advance skips jobs already done and still restores the original order", async () => {
        let state = await call("start", { jobs: [{ n: 1 }, { n: 2, done: true }] });
        state = await call("advance", state);
        expect(state).to.deep.equal({ jobs: [{ n: 1, done: true }, { n: 2, done: true }] });
    });

    it("resumes a kept state, bookkeeping and all, to the caller's order", async () => {
        let state = await call("start", { jobs: [{ n: 1 }, { n: 2 }, { n: 3 }] });
        state = await call("advance", { ...state, jobs: [{ ...state.jobs[0], r: 1 }, ...state.jobs.slice(1)] });
        // The kept state of a run that failed at job 2, fed back in as a new execution's input.
        expect(await runAll(JSON.parse(JSON.stringify(state)))).to.deep.equal({ jobs: [1, 2, 3].map((n) => ({ n, r: 1, done: true })) });
    });

    it("hands over after jobsPerExecution jobs: the unfinished jobs, in the caller's order, go; the finished wait with their slots", async () => {
        const s = { ...settings, jobsPerExecution: 2 };
        let state = await call("start", { jobs: [{ a: 0 }, { a: 1, done: true }, { a: 2 }, { a: 3 }, { a: 4 }], batch: "b" }, s);
        state = await call("advance", state, s);
        expect(state[ITERATOR_FIELD]).to.include({ next: "work" });
        state = await call("advance", state, s);
        const book = state[ITERATOR_FIELD] as lambda.HandOverBookkeeping;
        expect(state.jobs).to.deep.equal([]);
        expect(book).to.deep.include({ next: "handover", slots: "dddpp", send: { jobs: [{ a: 3 }, { a: 4 }] } });
        expect(book.done).to.deep.equal([{ a: 0, done: true }, { a: 1, done: true }, { a: 2, done: true }]);
        expect(book.sent).to.match(/^[0-9a-f]{64}$/);
        // HandOver replaces what it sent with the new execution's output: no state holds a job twice.
        const back = [{ a: 3, r: 1, done: true }, { a: 4, r: 1, done: true }];
        const merged = await call("merge", { ...state, [ITERATOR_FIELD]: { ...book, send: { output: { jobs: back, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: "arn" } } } } as never, s);
        expect(merged).to.deep.equal({ batch: "b", jobs: [{ a: 0, done: true }, { a: 1, done: true }, { a: 2, done: true }, ...back] });
    });

    it("resumes a state kept from a failed hand-over, with the jobs sent (and their progress) back in place", async () => {
        const s = { ...settings, jobsPerExecution: 1 };
        let state = await call("start", { jobs: [{ a: 0 }, { a: 1 }] }, s);
        state = await call("advance", state, s);
        // What came back from the failed execution: job a:1 with a result but not finished.
        const resumed = await call("start", { ...state, [ITERATOR_FIELD]: { ...(state[ITERATOR_FIELD] as object), send: { jobs: [{ a: 1, r: 1 }] } } }, s);
        expect(resumed.jobs).to.deep.equal([{ a: 1, r: 1 }, { a: 0, done: true }]);
        expect(resumed[ITERATOR_FIELD]).to.include({ next: "work", offset: 1 });
    });

    it("keeps a recorded error's name and the start of its cause, within their byte caps", async () => {
        const cause = JSON.stringify({ errorType: "Boom", errorMessage: `it failed: ${"x".repeat(40_000)}`, trace: ["a", "b"] });
        let state = await call("start", { jobs: [{ n: 1 }] });
        state = await call("advance", { ...state, jobs: [{ n: 1, error: { Error: "Boom", Cause: cause } }] });
        const error = state.jobs[0].error as { Error: string; Cause: string };
        expect(error.Error).to.equal("Boom");
        expect(error.Cause.startsWith("it failed: xxx")).to.equal(true);
        expect(error.Cause.endsWith("…")).to.equal(true);
        expect(Buffer.byteLength(JSON.stringify(error.Cause))).to.be.at.most(lambda.RECORDED_CAUSE_MAX_BYTES).and.at.least(lambda.RECORDED_CAUSE_MAX_BYTES - 4);
        // A short cause that is not a Lambda's JSON stays as it is.
        state = await call("start", { jobs: [{ n: 1 }] });
        state = await call("advance", { ...state, jobs: [{ n: 1, error: { Error: "States.Timeout", Cause: "timed out" } }] });
        expect(state.jobs[0].error).to.deep.equal({ Error: "States.Timeout", Cause: "timed out" });
    });

    const invalidInputs: [string, MoveToEndEvent["action"], unknown, RegExp][] = [
        ["a non-object input", "start", [1], /workflow input must be a JSON object, got an array/],
        ["a missing jobs field", "start", { job: [] }, /no "jobs" field/],
        ["jobs that is not an array", "start", { jobs: "x" }, /"jobs" must be an array, got string "x"/],
        ["a job that is not an object", "start", { jobs: [{}, 7] }, /jobs\[1\] must be an object, got number 7/],
        ["a done flag that is not a boolean", "start", { jobs: [{ done: "yes" }] }, /jobs\[0\]\.done must be true or false/],
        ["a bookkeeping offset out of range", "start", { jobs: [{}], [ITERATOR_FIELD]: { next: "work", offset: 5, processed: 0 } }, /_iterator\.offset must be a whole number below the number of jobs \(1\)/],
        ["a made-up bookkeeping offset", "start", { jobs: [{ n: 1 }, { n: 2 }], [ITERATOR_FIELD]: { next: "work", offset: 1, processed: 0 } }, /_iterator does not belong to these jobs \(its check does not match\)/],
        ["a processed count that is text", "advance", { jobs: [{ n: 1 }], [ITERATOR_FIELD]: { next: "work", offset: 0, processed: "5" } }, /_iterator\.processed must be a whole number >= 0, got string "5"/],
        ["a finished job that is null", "start", { jobs: [], [ITERATOR_FIELD]: { next: "handover", slots: "d", done: [null], sent: "0".repeat(64), send: { jobs: [] } } }, /_iterator\.done\[0\] must be an object, got null/],
        ["a finished job that is a number", "start", { jobs: [], [ITERATOR_FIELD]: { next: "handover", slots: "d", done: [5], sent: "0".repeat(64), send: { jobs: [] } } }, /_iterator\.done\[0\] must be an object, got number 5/],
        ["a finished job that is not finished", "start", { jobs: [], [ITERATOR_FIELD]: { next: "handover", slots: "d", done: [{ n: 1 }], sent: "0".repeat(64), send: { jobs: [] } } }, /_iterator\.done\[0\] must be a finished job/],
        ["slots that do not match the finished jobs", "start", { jobs: [], [ITERATOR_FIELD]: { next: "handover", slots: "dd", done: [{ done: true }], sent: "0".repeat(64), send: { jobs: [] } } }, /_iterator\.done must hold the 2 finished job\(s\) its slots name, got 1/],
        ["an unknown next step", "advance", { jobs: [{}], [ITERATOR_FIELD]: { next: "jump", offset: 0, processed: 0 } }, /_iterator\.next must be "work", "read" or "handover", got string "jump"/],
    ];
    for (const [what, action, state, message] of invalidInputs) {
        it(`rejects ${what} with ${INVALID_INPUT}, naming the field`, async () => {
            const err = await rejection(call(action, state));
            expect(err.name).to.equal(INVALID_INPUT);
            expect(err.message).to.match(message);
            expect(err.stack, "no stack trace reaches the Cause").to.equal(`${INVALID_INPUT}: ${err.message}`);
        });
    }

    describe("merge accepts back exactly the jobs it sent, finished", () => {
        const s = { ...settings, jobsPerExecution: 1 };
        let handedOver: WorkflowState;
        before(async () => {
            handedOver = await call("advance", await call("start", { jobs: [{ a: 0 }, { a: 1 }, { a: 2 }] }, s), s);
        });
        const mergeWith = (jobs: unknown) => call("merge", { ...handedOver, [ITERATOR_FIELD]: { ...(handedOver[ITERATOR_FIELD] as object), send: { output: { jobs } } } } as never, s);

        for (const [what, jobs, message] of [
            ["a job that is not an object", [42, { a: 2, done: true }], /_iterator\.send\.output\.jobs\[0\] must be an object, got number 42/],
            ["a job that is not finished", [{ a: 1 }, { a: 2, done: true }], /_iterator\.send\.output\.jobs\[0\] must be a finished job/],
            ["too few jobs", [{ a: 1, done: true }], /_iterator\.send\.output\.jobs must hold the 2 job\(s\) handed over, got 1/],
            ["jobs it did not send", [{ a: 1, done: true }, { a: 9, done: true }], /_iterator\.send\.output\.jobs are not the jobs handed over/],
            ["the jobs sent, in another order", [{ a: 2, done: true }, { a: 1, done: true }], /_iterator\.send\.output\.jobs are not the jobs handed over/],
        ] as const) {
            it(`refuses ${what}`, async () => {
                const err = await rejection(mergeWith(jobs));
                expect(err.name).to.equal(INVALID_INPUT);
                expect(err.message).to.match(message);
            });
        }

        it("refuses a hand-over that has not come back", async () => {
            const err = await rejection(call("merge", handedOver as never, s));
            expect(err.message).to.match(/"merge" needs _iterator\.send to be \{"output": <the new execution's output>\}, got an object/);
        });

        it("takes the jobs sent with their results and done, whatever order their keys come in", async () => {
            const merged = await mergeWith([{ done: true, r: 1, a: 1 }, { a: 2, r: 2, done: true }]);
            expect(merged.jobs).to.deep.equal([{ a: 0, done: true }, { done: true, r: 1, a: 1 }, { a: 2, r: 2, done: true }]);
        });
    });

    it("rejects an unknown action and bad settings", async () => {
        expect((await rejection(handler({ action: "jump", state: { jobs: [] }, settings } as never))).message).to.match(/action must be "start", "advance" or "merge"/);
        expect((await rejection(handler({ action: "start", state: { jobs: [] }, settings: { ...settings, marginBytes: -1 } }))).message).to.match(/settings\.marginBytes/);
        expect((await rejection(handler({ action: "start", state: { jobs: [] }, settings: { ...settings, resultKeys: "r" } as never }))).message).to.match(/settings\.resultKeys must be a list of field names/);
    });

    it(`throws ${PAYLOAD_TOO_LARGE} before the state could pass the limit, naming the size and the limit`, async () => {
        const jobs = Array.from({ length: 100 }, (_, i) => ({ i, blob: "x".repeat(100) }));
        const small = { ...settings, payloadLimitBytes: 20_000, growthPerJobBytes: 50, marginBytes: 1_000 };
        // About 11.5 KB now, 100 jobs still to grow by 50 bytes: 16.5 KB, under 19 KB.
        expect((await call("start", { jobs }, small)).jobs).to.have.length(100);
        const err = await rejection(call("start", { jobs }, { ...small, growthPerJobBytes: 100 }));
        expect(err.name).to.equal(PAYLOAD_TOO_LARGE);
        expect(err.message).to.match(/state is \d+ bytes and its 100 unfinished job\(s\) would bring it to about \d+ bytes, over the 19000-byte budget under Step Functions' 20000-byte payload limit/);
    });

    it(`throws ${PAYLOAD_TOO_LARGE} at the start when a hand-over to come would carry too much, before any job is done`, async () => {
        const jobs = Array.from({ length: 100 }, (_, i) => ({ i, blob: "x".repeat(100) }));
        const small = { ...settings, payloadLimitBytes: 30_000, growthPerJobBytes: 50, marginBytes: 1_000 };
        expect((await call("start", { jobs }, small)).jobs).to.have.length(100);
        // Handing over after 10 jobs sends 90: their text twice (as a JSON string, and grown) is too much.
        const err = await rejection(call("start", { jobs }, { ...small, jobsPerExecution: 10 }));
        expect(err.name).to.equal(PAYLOAD_TOO_LARGE);
        expect(err.message).to.match(/^the hand-over's task result \(the 90 job\(s\) it will send, and what comes back\) to about \d+ bytes/);
    });
});
