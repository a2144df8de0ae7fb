// The MoveToEnd handler, loaded from the archive text the stack deploys.
import { expect } from "chai";
import { INVALID_INPUT, ITERATOR_FIELD, PAYLOAD_TOO_LARGE, type MoveToEndEvent, type Settings } from "../functions/moveToEnd";
import { loadHandler, moveToEndCode } from "../components/moveToEndCode";
import { BOOKKEEPING_FIELD, PAYLOAD_LIMIT_BYTES } from "../components/budget";
import { rejection } from "./helpers/errors";

const handler = loadHandler(moveToEndCode());
const settings: Settings = { payloadLimitBytes: 262_144, growthPerJobBytes: 50, marginBytes: 1_000 };
const call = (action: MoveToEndEvent["action"], state: unknown, s: Settings = settings) => handler({ action, state, settings: s });

describe("MoveToEnd handler (from the deployed archive)", () => {
    it("names the payload limit and the bookkeeping field as the budget arithmetic does", () => {
        const { STEP_FUNCTIONS_PAYLOAD_LIMIT } = require("../functions/moveToEnd");
        expect([STEP_FUNCTIONS_PAYLOAD_LIMIT, ITERATOR_FIELD]).to.deep.equal([PAYLOAD_LIMIT_BYTES, BOOKKEEPING_FIELD]);
    });

    it("is plain CommonJS with no require of anything", () => {
        const code = moveToEndCode();
        expect(code).to.match(/exports\.handler\s*=/);
        expect(code).not.to.match(/require\(/);
    });

    it("start: brings the first unfinished job to the front and records its original index", async () => {
        const out = await call("start", { jobs: [{ a: 1, done: true }, { b: 2 }, { c: 3 }], other: "kept" });
        expect(out.jobs).to.deep.equal([{ b: 2 }, { c: 3 }, { a: 1, done: true }]);
        expect(out[ITERATOR_FIELD]).to.deep.equal({ offset: 1, processed: 0, next: "work" });
        expect(out.other).to.equal("kept");
    });

    it("start on an empty list finishes at once: no bookkeeping left", async () => {
        const out = await call("start", { jobs: [] });
        expect(out).to.deep.equal({ jobs: [] });
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

    it("hands over after jobsPerExecution jobs: the unfinished jobs, in the caller's order, go; the finished wait with their slots", async () => {
        const s = { ...settings, jobsPerExecution: 2 };
        let state = await call("start", { jobs: [{ a: 0 }, { a: 1, done: true }, { a: 2 }, { a: 3 }, { a: 4 }], batch: "b" }, s);
        state = await call("advance", state, s);
        expect(state[ITERATOR_FIELD]).to.include({ next: "work" });
        state = await call("advance", state, s);
        expect(state).to.deep.equal({
            batch: "b",
            jobs: [{ a: 3 }, { a: 4 }],
            [ITERATOR_FIELD]: { next: "handover", slots: "dddpp", done: [{ a: 0, done: true }, { a: 1, done: true }, { a: 2, done: true }] },
        });
        const back = [{ a: 3, r: 1, done: true }, { a: 4, r: 1, done: true }];
        const merged = await call("merge", { ...state, [ITERATOR_FIELD]: { ...(state[ITERATOR_FIELD] as object), returned: { jobs: back } } } as never, s);
        expect(merged).to.deep.equal({ batch: "b", jobs: [{ a: 0, done: true }, { a: 1, done: true }, { a: 2, done: true }, ...back] });
    });

    it("resumes a state kept from a failed hand-over with every job back in its place", async () => {
        const handedOver = { jobs: [{ a: 1 }], [ITERATOR_FIELD]: { next: "handover", slots: "dp", done: [{ a: 0, done: true }] } };
        expect(await call("start", handedOver)).to.deep.equal({ jobs: [{ a: 1 }, { a: 0, done: true }], [ITERATOR_FIELD]: { offset: 1, processed: 0, next: "work" } });
    });

    it("rejects a merge whose returned jobs do not fill the handed-over slots", async () => {
        const state = { jobs: [{ a: 1 }], [ITERATOR_FIELD]: { next: "handover", slots: "dp", done: [{ a: 0, done: true }], returned: { jobs: [] } } };
        const err = await rejection(call("merge", state));
        expect(err.name).to.equal(INVALID_INPUT);
        expect(err.message).to.equal(`${ITERATOR_FIELD}.returned.jobs should hold the 1 handed-over job(s), and ${ITERATOR_FIELD}.done the 1 finished one(s); got 0 and 1`);
    });

    const invalidInputs: [string, unknown, RegExp][] = [
        ["a non-object input", [1], /workflow input must be a JSON object, got an array/],
        ["a missing jobs field", { job: [] }, /no "jobs" field/],
        ["jobs that is not an array", { jobs: "x" }, /"jobs" must be an array, got string "x"/],
        ["a job that is not an object", { jobs: [{}, 7] }, /jobs\[1\] must be an object, got number 7/],
        ["a done flag that is not a boolean", { jobs: [{ done: "yes" }] }, /jobs\[0\]\.done must be true or false/],
        ["a tampered bookkeeping field", { jobs: [{}], [ITERATOR_FIELD]: { offset: 5 } }, /_iterator\.offset must be a whole number below the number of jobs \(1\)/],
    ];
    for (const [what, state, message] of invalidInputs) {
        it(`rejects ${what} with ${INVALID_INPUT}`, async () => {
            const err = await rejection(call("start", state));
            expect(err.name).to.equal(INVALID_INPUT);
            expect(err.message).to.match(message);
            expect(err.stack, "no stack trace reaches the Cause").to.equal(`${INVALID_INPUT}: ${err.message}`);
        });
    }

    it("rejects an unknown action and bad settings", async () => {
        expect((await rejection(handler({ action: "jump", state: { jobs: [] }, settings } as never))).message).to.match(/action must be "start", "advance" or "merge"/);
        expect((await rejection(handler({ action: "start", state: { jobs: [] }, settings: { ...settings, marginBytes: -1 } }))).message).to.match(/settings\.marginBytes/);
    });

    it(`throws ${PAYLOAD_TOO_LARGE} before the state could pass the limit, naming the size and the limit`, async () => {
        const jobs = Array.from({ length: 100 }, (_, i) => ({ i, blob: "x".repeat(100) }));
        const small = { payloadLimitBytes: 20_000, growthPerJobBytes: 50, marginBytes: 1_000 };
        // About 11.5 KB now, 100 jobs still to grow by 50 bytes: 16.5 KB, under 19 KB.
        expect((await call("start", { jobs }, small)).jobs).to.have.length(100);
        const err = await rejection(call("start", { jobs }, { ...small, growthPerJobBytes: 100 }));
        expect(err.name).to.equal(PAYLOAD_TOO_LARGE);
        expect(err.message).to.match(/state is \d+ bytes and 100 unfinished job\(s\) would bring it to about \d+ bytes, over the 19000-byte budget under Step Functions' 20000-byte payload limit/);
    });
});
