// Jobs by reference: a JSON Lines object in a real S3 API on loopback (s3rver), read a window at a
// time by the MoveToEnd archive's own code through the AWS SDK, results written back in order.
import { expect } from "chai";
import fc from "fast-check";
import type { Capacity } from "../components/capacity";
import type { Json } from "../components/steps";
import { LocalStepFunctions, type RunReport } from "../local/execute";
import { LocalS3 } from "../local/jobStore";
import { executeStack, prepareStack, type StackRun } from "../local/runStack";
import { countingTranscribe, lambdaStack } from "./helpers/stacks";

const BUCKET = "iterator-jobs";
type Job = Record<string, Json>;

interface Output {
    results: { bucket: string; prefix: string; objects: number; first: string | null };
    total: number;
    done: number;
    failed: number;
}

describe("jobs by reference: a JSON Lines object in S3, a window in the state, results written back in order", () => {
    let s3: LocalS3;
    let key = 0;
    before(async () => {
        s3 = await LocalS3.start();
        await s3.createBucket(BUCKET);
    });
    after(async () => s3?.stop());

    /** Uploads the jobs as JSON Lines under a new key of the input prefix, and gives the workflow's input. */
    async function upload(jobs: unknown[] | string, extra: Record<string, Json> = {}): Promise<Json> {
        const name = `input/jobs-${++key}.jsonl`;
        await s3.put(BUCKET, name, typeof jobs === "string" ? jobs : jobs.map((j) => `${JSON.stringify(j)}\n`).join(""));
        return { jobsFrom: { bucket: BUCKET, key: name }, ...extra };
    }

    /** Every result line of a run, in key order: the input's order. */
    async function results(output: Output): Promise<Job[]> {
        const keys = await s3.keys(BUCKET, output.results.prefix);
        expect(keys).to.have.length(output.results.objects);
        const text = (await Promise.all(keys.map((k) => s3.get(BUCKET, k)))).join("");
        return text === "" ? [] : text.trimEnd().split("\n").map((line) => JSON.parse(line));
    }

    const stackWith = (jobStore: object, extra: Record<string, string> = {}) => prepareStack("dev", { "iterator-workflow:jobStore": JSON.stringify(jobStore), ...extra });

    const finished = (jobs: Job[]) => jobs.map((j) => ({ ...j, firstResult: "success", secondResult: "success", done: true }));

    it("every job once, in order, with its results, whatever the list's length, the window and the hand-over point; S3 requests: one GET and one PUT a window", async () => {
        const runs = new Map<string, StackRun>();
        await fc.assert(
            // Few windows and hand-over points, each a synthesized stack (most of the time), and lists
            // of any length against them: a window of 1 and a hand-over at every job are the edges.
            // Each window costs a GET and a PUT through the local S3 API: at most 30 windows a run.
            fc.asyncProperty(fc.constantFrom(1, 2, 3, 7, 40).chain((window) => fc.tuple(fc.integer({ min: 0, max: Math.min(200, window * 30) }), fc.constant(window))), fc.constantFrom(undefined, 1, 4, 25), async ([n, window], per) => {
                const id = `${window}/${per}`;
                if (!runs.has(id)) runs.set(id, await stackWith({ windowJobs: window }, { "iterator-workflow:handOver": JSON.stringify(per === undefined ? false : { jobsPerExecution: per }) }));
                const run = runs.get(id)!;
                const jobs = Array.from({ length: n }, (_, i) => ({ i, name: `job ${i}` }));
                const before = { GET: s3.requests.GET, PUT: s3.requests.PUT };
                const report = await executeStack(run, await upload(jobs, { batch: "b1" }));
                expect(report.status, JSON.stringify(report.error)).to.equal("SUCCEEDED");
                const output = report.output as unknown as Output & { batch: string };
                const windows = Math.ceil(n / window);
                expect(output).to.deep.include({ total: n, done: n, failed: 0, batch: "b1" });
                expect(output.results.objects).to.equal(windows);
                expect(await results(output)).to.deep.equal(finished(jobs));
                expect([s3.requests.GET - before.GET, s3.requests.PUT - before.PUT]).to.deep.equal([Math.max(1, windows), windows]);
                const capacity = (run.synth.outputs.capacity as Capacity).byReference!;
                expect(report.peakPayloadBytes).to.be.at.most(capacity.peakState.bytes);
            }),
            { numRuns: 20 },
        );
    });

    it("keeps the state's size whatever the list's length: 200 and 2,000 jobs peak alike", async () => {
        const run = await stackWith({ windowJobs: 50 });
        const peaks: number[] = [];
        for (const n of [200, 2000]) {
            const report = await executeStack(run, await upload(Array.from({ length: n }, (_, i) => ({ i: i % 10 }))));
            expect(report.status).to.equal("SUCCEEDED");
            peaks.push(report.peakPayloadBytes);
        }
        // Alike but for the digits of where the run stands (its cursor, line and counts), a few bytes.
        expect(peaks[1] - peaks[0]).to.be.within(0, 7);
    });

    it("a hand-over sends only where to read on: the first execution's output covers the whole list", async () => {
        const run = await stackWith({ windowJobs: 10 }, { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution: 20 }) });
        const jobs = Array.from({ length: 95 }, (_, i) => ({ i }));
        const report = await executeStack(run, await upload(jobs));
        expect(report.status).to.equal("SUCCEEDED");
        expect(report.executions).to.equal(5);
        expect((report.output as unknown as Output).total).to.equal(95);
        expect(await results(report.output as unknown as Output)).to.deep.equal(finished(jobs));
    });

    describe("with a step that fails for jobs marked fail", () => {
        async function failingStack(onJobError: "fail" | "record", failing: Set<number>, extra: Record<string, string> = {}) {
            const run = await lambdaStack(onJobError, { "iterator-workflow:jobStore": JSON.stringify({ windowJobs: 7 }), ...extra });
            return { run, calls: countingTranscribe(run, failing, "i") };
        }
        const done = (i: number) => ({ i, transcript: `t${i}`, tag: "t", done: true });

        it('"record": the error is on the job\'s line, and counted', async () => {
            const { run } = await failingStack("record", new Set([3, 11]));
            const jobs = Array.from({ length: 20 }, (_, i) => ({ i }));
            const report = await executeStack(run, await upload(jobs));
            const output = report.output as unknown as Output;
            expect(output).to.deep.include({ total: 20, done: 18, failed: 2 });
            const lines = await results(output);
            // A failed job goes straight on, past the steps after the failing one.
            expect(lines[3]).to.deep.equal({ i: 3, error: { Error: "TranscribeError", Cause: "job 3 failed" }, done: true });
            expect(lines.filter((_, i) => i !== 3 && i !== 11)).to.deep.equal(jobs.filter((j) => j.i !== 3 && j.i !== 11).map((j) => done(j.i)));
        });

        it('"fail": the kept state resumes at the failing job; no finished window is written twice or lost, no job done twice', async () => {
            const failing = new Set([17]);
            const { run, calls } = await failingStack("fail", failing);
            const jobs = Array.from({ length: 30 }, (_, i) => ({ i }));
            const writesBefore = new Map(s3.requests.writes);
            const failed = await executeStack(run, await upload(jobs));
            expect(failed.status).to.equal("FAILED");
            expect(failed.error?.Error).to.equal("TranscribeError");
            // Two windows of 7 written; the third, jobs 14-20, holds the failing job at the head.
            const kept = failed.lastInput as { jobs: Job[]; _iterator: { ref: { window: number; total: number } } };
            expect(kept._iterator.ref).to.deep.include({ window: 2, total: 14 });
            expect(kept.jobs.map((j) => j.i)).to.deep.equal([14, 15, 16, 17, 18, 19, 20]);
            failing.clear();
            const resumed = await executeStack(run, failed.lastInput!);
            expect(resumed.status, JSON.stringify(resumed.error)).to.equal("SUCCEEDED");
            const output = resumed.output as unknown as Output;
            expect(output).to.deep.include({ total: 30, done: 30, failed: 0 });
            expect(await results(output)).to.deep.equal(jobs.map((j) => done(j.i)));
            const written = [...s3.requests.writes].filter(([path]) => !writesBefore.has(path) && path.includes(output.results.prefix));
            expect(written.map(([, count]) => count)).to.deep.equal([1, 1, 1, 1, 1]);
            expect(Object.fromEntries(calls)).to.deep.equal(Object.fromEntries(jobs.map((j) => [j.i, j.i === 17 ? 2 : 1])));
        });

        it("a redrive after a failure in a later execution finishes the run; no window is written twice, no job done twice", async () => {
            const failing = new Set([25]);
            const { run, calls } = await failingStack("fail", failing, { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution: 7 }) });
            const local = new LocalStepFunctions({ definition: run.definition, handlers: run.handlers, type: run.type, stateMachineArn: run.stateMachineArn });
            const jobs = Array.from({ length: 30 }, (_, i) => ({ i }));
            const first = await local.start(await upload(jobs));
            expect(first.status).to.equal("FAILED");
            failing.clear();
            const redriven = await local.redrive(first.arn);
            expect(redriven.status, JSON.stringify(redriven.error)).to.equal("SUCCEEDED");
            const output = redriven.output as unknown as Output;
            expect(await results(output)).to.deep.equal(jobs.map((j) => done(j.i)));
            expect([...s3.requests.writes].filter(([path]) => path.includes(output.results.prefix)).map(([, count]) => count)).to.deep.equal([1, 1, 1, 1, 1]);
            expect([...calls.values()].reduce((a, b) => a + b, 0)).to.equal(31);
        });
    });

    describe("a bad reference is IteratorWorkflow.InvalidInput, naming what is wrong", () => {
        let run: StackRun;
        before(async () => {
            run = await stackWith({ windowJobs: 5 });
        });
        const failure = (report: RunReport) => [report.status, report.error?.Error, report.error?.Cause];

        for (const [what, input, cause] of [
            ["a missing object", { jobsFrom: { bucket: BUCKET, key: "input/none.jsonl" } }, `jobsFrom.key: cannot read s3://${BUCKET}/input/none.jsonl: there is no such object, or it is not under the input prefix`],
            ["a key outside the input prefix", { jobsFrom: { bucket: BUCKET, key: "elsewhere/jobs.jsonl" } }, 'jobsFrom.key must be under the job store\'s input prefix "input/", got "elsewhere/jobs.jsonl"'],
            ["another bucket", { jobsFrom: { bucket: "other", key: "input/a.jsonl" } }, `jobsFrom.bucket must be the job store's bucket "${BUCKET}", got "other"`],
            ["a reference without its key", { jobsFrom: { bucket: BUCKET } }, 'jobsFrom must be {"bucket": "...", "key": "..."}, got an object'],
            ["both jobs and jobsFrom", { jobs: [], jobsFrom: { bucket: BUCKET, key: "input/a.jsonl" } }, 'the workflow input has both "jobs" and "jobsFrom"; give the jobs inline or by reference, not both'],
        ] as const) {
            it(`${what}`, async () => {
                expect(failure(await executeStack(run, input as unknown as Json))).to.deep.equal(["FAILED", "IteratorWorkflow.InvalidInput", cause]);
            });
        }

        it("a line that is not a JSON object, or not JSON, with its line number", async () => {
            const array = await upload('{"i":1}\n\n[1,2]\n');
            expect(failure(await executeStack(run, array))).to.deep.equal(["FAILED", "IteratorWorkflow.InvalidInput", `jobsFrom: line 3 of s3://${BUCKET}/${(array as { jobsFrom: { key: string } }).jobsFrom.key} must be a JSON object, got an array`]);
            const broken = await upload('{"i":1}\n{"i":\n');
            expect((await executeStack(run, broken)).error?.Cause).to.match(/^jobsFrom: line 2 of s3:\/\/iterator-jobs\/input\/jobs-\d+\.jsonl is not valid JSON: /);
        });

        it("a line longer than limits.maxJobBytes", async () => {
            const long = await upload(`{"i":1}\n{"pad":"${"x".repeat(300)}"}\n`);
            expect((await executeStack(run, long)).error?.Cause).to.match(/^jobsFrom: line 2 of .* is \d+ bytes, longer than limits\.maxJobBytes \(128 bytes\)$/);
        });

        it("a store whose bucket does not exist", async () => {
            const gone = await stackWith({ bucket: "gone-bucket", windowJobs: 5 });
            expect(failure(await executeStack(gone, { jobsFrom: { bucket: "gone-bucket", key: "input/a.jsonl" } }))).to.deep.equal(["FAILED", "IteratorWorkflow.InvalidInput", 'jobsFrom.bucket: there is no bucket "gone-bucket"']);
        });

        it("a workflow without a job store", async () => {
            const inline = await stackWith(false as unknown as object);
            expect(failure(await executeStack(inline, { jobsFrom: { bucket: BUCKET, key: "input/a.jsonl" } }))).to.deep.equal([
                "FAILED",
                "IteratorWorkflow.InvalidInput",
                'jobsFrom: this workflow has no job store, so it takes its jobs inline only: {"jobs": [ ... ]}',
            ]);
        });
    });
});
