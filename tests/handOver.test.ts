// Hand-over, run locally against the local Step Functions service: every job once and in order,
// whatever the hand-over point; safe to retry and to redrive; no finished job lost or done again.
import { expect } from "chai";
import fc from "fast-check";
import type { Json } from "../components/steps";
import { LocalStepFunctions, runLocally, type TaskHandler } from "../local/execute";
import { executeStack, prepareStack, type StackRun } from "../local/runStack";
import { countingTranscribe, jobList, lambdaStack, type Job } from "./helpers/stacks";

const handingOver = (jobsPerExecution: number, extra: Record<string, string> = {}) => prepareStack("dev", { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution }), ...extra });

/** An error as Step Functions' optimized integration names it. */
const awsError = (name: string) => Object.assign(new Error(name), { name });

const service = (run: StackRun, interceptTask?: (state: string, call: () => Promise<Json>) => Promise<Json>) =>
    new LocalStepFunctions({ definition: run.definition, handlers: run.handlers, type: run.type, stateMachineArn: run.stateMachineArn, interceptTask });

const finished = (ids: number[]) => ids.map((id) => ({ id, transcript: `t${id}`, tag: "t", done: true }));

describe("hand-over: a new execution takes the unfinished jobs before the history limit", () => {
    it("every job comes out exactly once, in order, whatever the hand-over point; one execution per batch of unfinished jobs", async () => {
        // One after another: the mock engine is global to the process.
        const runs = [await handingOver(1), await handingOver(2), await handingOver(5)];
        await fc.assert(
            fc.asyncProperty(jobList(30), fc.integer({ min: 0, max: 2 }), async (jobs, pick) => {
                const per = [1, 2, 5][pick];
                const report = await executeStack(runs[pick], { jobs, batch: "b1" });
                expect(report.status).to.equal("SUCCEEDED");
                expect(report.output).to.deep.equal({ jobs: jobs.map((j) => (j.done ? j : { ...j, firstResult: "success", secondResult: "success", done: true })), batch: "b1" });
                const unfinished = jobs.filter((j) => !j.done).length;
                expect(report.executions).to.equal(Math.max(1, Math.ceil(unfinished / per)));
            }),
            { numRuns: 25 },
        );
    });

    it("completes a list past one execution's history limit, which fails without hand-over (scaled: a 500-event limit)", async () => {
        const jobs = Array.from({ length: 100 }, (_, i) => ({ i }));
        const on = await handingOver(40);
        const report = await runLocally({ definition: on.definition, input: { jobs }, handlers: on.handlers, historyEventLimit: 500 });
        expect(report.status).to.equal("SUCCEEDED");
        expect(report.executions).to.equal(3);
        expect(report.historyEvents).to.be.below(500);
        expect((report.output as { jobs: Job[] }).jobs.map((j) => j.i)).to.deep.equal(jobs.map((j) => j.i));

        const off = await prepareStack("dev", { "iterator-workflow:handOver": "false" });
        const failed = await runLocally({ definition: off.definition, input: { jobs }, handlers: off.handlers, historyEventLimit: 500 });
        expect(failed.error).to.deep.equal({ Error: "States.Runtime", Cause: "The execution reached the maximum number of history events (500)." });
    });

    it("names the new execution after the one that starts it: 64 hex characters, the same on every attempt", async () => {
        const run = await handingOver(2);
        const local = service(run);
        const first = await local.start({ jobs: Array.from({ length: 5 }, (_, i) => ({ i })) }, "first");
        expect(first.status).to.equal("SUCCEEDED");
        const child = local.executions.get(first.children[0])!;
        expect(child.name).to.match(/^[0-9a-f]{64}$/);
        expect(child.name).to.equal(require("node:crypto").createHash("sha256").update(first.arn).digest("hex"));
        expect(child.input).to.deep.include({ AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: first.arn });
    });
});

describe("hand-over: safe to retry", () => {
    let run: StackRun;
    let calls: Map<number, number>;
    const jobs = Array.from({ length: 6 }, (_, id) => ({ id }));
    beforeEach(async () => {
        run = await lambdaStack("fail", { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution: 2 }) });
        calls = countingTranscribe(run, new Set());
    });

    /** Runs with HandOver's first call failing as `fail` says, and checks every job ran once. */
    async function runWith(fail: (call: () => Promise<Json>) => Promise<Json>) {
        let failedOnce = false;
        const local = service(run, (state, call) => {
            if (state !== "HandOver" || failedOnce) return call();
            failedOnce = true;
            return fail(call);
        });
        const record = await local.start({ jobs });
        expect(record.status, JSON.stringify(record.error)).to.equal("SUCCEEDED");
        expect(record.output).to.deep.equal({ jobs: finished(jobs.map((j) => j.id)) });
        expect([...calls.values()], "each job's step ran once").to.deep.equal(jobs.map(() => 1));
        return local;
    }

    it("a throttled StartExecution is retried, and starts the next execution once", async () => {
        const local = await runWith(async () => {
            throw awsError("StepFunctions.AWSStepFunctionsException");
        });
        expect(local.executions.size).to.equal(3);
    });

    it("a response lost after the next execution finished: the retry finds it by name and reads back its output", async () => {
        const local = await runWith(async (call) => {
            await call();
            throw awsError("StepFunctions.SdkClientException");
        });
        expect(local.executions.size).to.equal(3);
    });

    it("a response lost while the next execution still runs: the retry, with the same name and input, waits on it", async () => {
        await runWith(async (call) => {
            call().catch(() => undefined);
            throw awsError("StepFunctions.AWSStepFunctionsException");
        });
    });
});

describe("hand-over: a failure keeps every finished job, wherever it finished", () => {
    // 2,600 jobs, job 2,500 failing, scaled: 6 jobs, two per execution, job 4 failing in the third execution.
    const jobs = Array.from({ length: 6 }, (_, id) => ({ id }));
    let run: StackRun;
    beforeEach(async () => {
        run = await lambdaStack("fail", { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution: 2 }) });
    });

    it("fails the first execution with States.TaskFailed, keeping jobs 0-3 finished, whichever execution finished them", async () => {
        countingTranscribe(run, new Set([4]));
        const failed = await executeStack(run, { jobs });
        expect(failed.status).to.equal("FAILED");
        expect(failed.error?.Error).to.equal("States.TaskFailed");
        expect(JSON.parse(failed.error!.Cause)).to.include({ Status: "FAILED", Error: "States.TaskFailed" });
        expect(failed.failedState).to.equal("HandOver");
        expect(failed.lastInput).to.deep.equal({ jobs: [...finished([0, 1, 2, 3]), { id: 4 }, { id: 5 }] });
    });

    it("a new execution on the kept state does no finished job again", async () => {
        countingTranscribe(run, new Set([4]));
        const failed = await executeStack(run, { jobs });
        const calls = countingTranscribe(run, new Set());
        const resumed = await executeStack(run, failed.lastInput!);
        expect(resumed.status).to.equal("SUCCEEDED");
        expect(resumed.output).to.deep.equal({ jobs: finished([0, 1, 2, 3, 4, 5]) });
        expect([...calls.keys()].sort()).to.deep.equal([4, 5]);
    });

    it("a redrive of the first execution redrives the failed chain from where it stopped: only job 4 runs again", async () => {
        const failing = new Set([4]);
        const calls = countingTranscribe(run, failing);
        const local = service(run);
        const first = await local.start({ jobs });
        expect(first.status).to.equal("FAILED");
        failing.clear();
        const redriven = await local.redrive(first.arn);
        expect(redriven.status, JSON.stringify(redriven.error)).to.equal("SUCCEEDED");
        expect(redriven.output).to.deep.equal({ jobs: finished([0, 1, 2, 3, 4, 5]) });
        expect(Object.fromEntries(calls)).to.deep.equal({ 0: 1, 1: 1, 2: 1, 3: 1, 4: 2, 5: 1 });
        // Still three executions: each redriven, none started anew.
        expect(local.executions.size).to.equal(3);
        expect([...local.executions.values()].map((e) => e.redriveCount)).to.deep.equal([1, 1, 1]);
    });

    it("an execution that failed for good and cannot be redriven ends the chain with IteratorWorkflow.HandOverLost", async () => {
        countingTranscribe(run, new Set([2]));
        const local = service(run);
        const first = await local.start({ jobs });
        // As after 14 days, or past the history limit: the one it started can no longer be redriven.
        for (const e of local.executions.values()) if (e.arn !== first.arn) e.historyLimitReached = true;
        const redriven = await local.redrive(first.arn);
        expect(redriven.status).to.equal("FAILED");
        expect(redriven.error?.Error).to.equal("IteratorWorkflow.HandOverLost");
    });
});

describe("hand-over: what the local service answers as Step Functions would", () => {
    it("refuses StartExecution for a name taken by a finished execution, and redrive of one that succeeded", async () => {
        const run = await handingOver(5);
        const local = service(run);
        await local.start({ jobs: [] }, "same");
        const taken = await local.start({ jobs: [] }, "same").catch((e: Error) => e);
        expect(taken).to.be.instanceOf(Error);
        expect((taken as Error).name).to.equal("StepFunctions.ExecutionAlreadyExistsException");
        expect(() => local.redrive([...local.executions.keys()][0])).to.throw(/Execution is SUCCEEDED and cannot be redriven/);
    });

    it("a handler returning nothing stores null, as a Lambda returning nothing does", async () => {
        const run = await lambdaStack("fail");
        run.handlers.Transcribe = (async () => undefined) as unknown as TaskHandler;
        const report = await executeStack(run, { jobs: [{ id: 1 }] });
        expect(report.output).to.deep.equal({ jobs: [{ id: 1, transcript: null, tag: "t", done: true }] });
    });
});
