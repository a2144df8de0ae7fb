// The local run (`npm start`): the seed's case, properties over random lists, AWS's limits, the CLI.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import fc from "fast-check";
import type { Json } from "../components/steps";
import { STRATEGIES } from "../components/workflowTags";
import { EXIT } from "../local/errors";
import { asLambda, runLocally } from "../local/execute";
import { executeStack, prepareStack, readInput, type StackRun } from "../local/runStack";
import { rejection } from "./helpers/errors";
import { fnArn, SEED_INPUT, SEED_OUTPUT } from "./helpers/specs";

type Job = Record<string, Json>;
const ROOT = path.join(__dirname, "..");

/** A stack like dev but with one lambda step, whose local code fails for jobs marked `fail`. */
async function lambdaStack(onJobError: "fail" | "record", extra: Record<string, string> = {}): Promise<StackRun> {
    const run = await prepareStack("dev", {
        ...extra,
        "iterator-workflow:steps": JSON.stringify([
            { kind: "lambda", name: "Transcribe", resultKey: "transcript", function: fnArn("transcribe") },
            { kind: "pass", name: "Tag", resultKey: "tag", result: "t" },
        ]),
        "iterator-workflow:onJobError": onJobError,
        "iterator-workflow:limits": "{}",
    });
    run.handlers.Transcribe = asLambda((job) => {
        if ((job as Job).fail === true) throw Object.assign(new Error(`job ${(job as Job).id} failed`), { name: "TranscribeError" });
        return `t${(job as Job).id}`;
    });
    return run;
}

/** Jobs with an id, random other fields, and some already done (an interrupted run's work). */
const jobList = (maxLength: number) =>
    fc
        .array(
            fc.record({
                extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !["done", "error", "id", "fail", "transcript", "tag", "firstResult", "secondResult"].includes(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
                done: fc.boolean(),
                fail: fc.boolean(),
            }),
            { maxLength },
        )
        .map((specs) => specs.map(({ extra, done, fail }, id) => ({ ...(extra as Job), id, ...(done ? { done: true } : {}), ...(fail ? { fail: true } : {}) })));

describe("npm start's path: the dev stack synthesized and run locally", () => {
    let dev: StackRun;
    before(async () => {
        dev = await prepareStack("dev");
    });

    it("turns the seed's example input (no done flags) into the seed's output", async () => {
        const input = readInput(path.join(ROOT, "examples", "jobs.json"));
        expect(input).to.deep.equal(SEED_INPUT);
        const report = await executeStack(dev, input);
        expect(report.status).to.equal("SUCCEEDED");
        expect(report.output).to.deep.equal(SEED_OUTPUT);
    });

    it("completes a list of 1,000 jobs", async () => {
        const jobs = Array.from({ length: 1000 }, (_, i) => ({ i }));
        const report = await executeStack(dev, { jobs });
        expect(report.status).to.equal("SUCCEEDED");
        expect((report.output as { jobs: Job[] }).jobs.every((j, i) => j.i === i && j.done === true && j.secondResult === "success")).to.equal(true);
        expect(report.historyEvents).to.equal(11 + 1000 * 11);
    });

    it("fails as AWS would when a Standard execution reaches its history limit", async () => {
        const jobs = Array.from({ length: 100 }, (_, i) => ({ i }));
        const report = await runLocally({ definition: dev.definition, input: { jobs }, handlers: dev.handlers, historyEventLimit: 500 });
        expect(report.status).to.equal("FAILED");
        expect(report.error).to.deep.equal({ Error: "States.Runtime", Cause: "The execution reached the maximum number of history events (500)." });
        expect(report.historyEvents).to.be.within(500, 502);
    });

    it("fails with States.DataLimitExceeded when a step's result pushes a state past 262,144 bytes", async () => {
        const run = await lambdaStack("record");
        run.handlers.Transcribe = asLambda(() => "x".repeat(300_000));
        const report = await executeStack(run, { jobs: [{ id: 1 }] });
        expect(report.status).to.equal("FAILED");
        expect(report.error).to.deep.equal({
            Error: "States.DataLimitExceeded",
            Cause: "The state/task 'Transcribe' returned a result with a size exceeding the maximum number of bytes service limit.",
        });
        expect(report.peakPayloadBytes).to.be.greaterThan(262_144);
    });
});

for (const strategy of STRATEGIES) {
    describe(`properties of the dev stack's workflow, strategy ${strategy}`, () => {
        const strategyConfig = { "iterator-workflow:strategy": strategy };

        it("every job comes out exactly once, in order, with every step's result; jobs already done stay as they were", async () => {
            const run = await prepareStack("dev", strategyConfig);
            await fc.assert(
                fc.asyncProperty(jobList(200), async (jobs) => {
                    const report = await executeStack(run, { jobs, batch: "b1" });
                    expect(report.status).to.equal("SUCCEEDED");
                    const out = report.output as { jobs: Job[]; batch: string };
                    expect(out.batch).to.equal("b1");
                    expect(out.jobs).to.deep.equal(jobs.map((j) => (j.done ? j : { ...j, firstResult: "success", secondResult: "success", done: true })));
                }),
                { numRuns: 25 },
            );
        });

        it('with random step failures, "record" keeps every job and stores the errors', async () => {
            const run = await lambdaStack("record", strategyConfig);
            await fc.assert(
                fc.asyncProperty(jobList(60), async (jobs) => {
                    const report = await executeStack(run, { jobs });
                    expect(report.status).to.equal("SUCCEEDED");
                    const out = (report.output as { jobs: Job[] }).jobs;
                    expect(out.map((j) => j.id)).to.deep.equal(jobs.map((j) => j.id));
                    out.forEach((job, i) => {
                        const given = jobs[i];
                        if (given.done) expect(job).to.deep.equal(given);
                        else if (given.fail) expect(job).to.deep.equal({ ...given, error: { Error: "TranscribeError", Cause: JSON.stringify({ errorType: "TranscribeError", errorMessage: `job ${given.id} failed`, trace: [] }) }, done: true });
                        else expect(job).to.deep.equal({ ...given, transcript: `t${given.id}`, tag: "t", done: true });
                    });
                }),
                { numRuns: 20 },
            );
        });

        it('with random step failures, "fail" stops with the error and loses no job from the state', async () => {
            const run = await lambdaStack("fail", strategyConfig);
            await fc.assert(
                fc.asyncProperty(jobList(60), async (jobs) => {
                    const report = await executeStack(run, { jobs });
                    const firstFailing = jobs.find((j) => j.fail && !j.done);
                    if (!firstFailing) {
                        expect(report.status).to.equal("SUCCEEDED");
                        return;
                    }
                    expect(report.status).to.equal("FAILED");
                    expect(report.error?.Error).to.equal("TranscribeError");
                    expect(JSON.parse(report.error!.Cause).errorMessage).to.equal(`job ${firstFailing.id} failed`);
                    const kept = (report.lastInput as { jobs: Job[] }).jobs;
                    // The iterator keeps its work so far, the failing job at the head; a Map keeps its input.
                    if (strategy === "iterator") expect(kept[0].id, "the failing job is at the head").to.equal(firstFailing.id);
                    else expect(kept).to.deep.equal(jobs);
                    expect(kept.map((j) => j.id).sort((a, b) => Number(a) - Number(b))).to.deep.equal(jobs.map((j) => j.id));
                }),
                { numRuns: 20 },
            );
        });
    });
}

describe("hand-over: a new execution takes the unfinished jobs before the history limit", () => {
    const handingOver = (jobsPerExecution: number, extra: Record<string, string> = {}) =>
        prepareStack("dev", { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution }), ...extra });

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

    it("a job failing in a later execution fails the first with States.TaskFailed; its kept state resumes to the full result", async () => {
        const run = await lambdaStack("fail", { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution: 2 }) });
        const jobs = Array.from({ length: 6 }, (_, id) => ({ id, ...(id === 4 ? { fail: true } : {}) }));
        const failed = await executeStack(run, { jobs });
        expect(failed.status).to.equal("FAILED");
        expect(failed.error?.Error).to.equal("States.TaskFailed");
        expect(JSON.parse(failed.error!.Cause)).to.include({ Status: "FAILED", Error: "States.TaskFailed" });
        expect(failed.failedState).to.equal("HandOver");

        const kept = failed.lastInput as { jobs: Job[] };
        kept.jobs.forEach((j) => delete j.fail);
        const resumed = await executeStack(run, kept as unknown as Json);
        expect(resumed.status).to.equal("SUCCEEDED");
        expect((resumed.output as { jobs: Job[] }).jobs).to.deep.equal(jobs.map(({ id }) => ({ id, transcript: `t${id}`, tag: "t", done: true })));
    });
});

describe("local handlers named in stack config", () => {
    const steps = JSON.stringify([{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: fnArn("transcribe") }]);

    it("runs the named code for a lambda step, and a stand-in echo where none is named", async () => {
        const named = await prepareStack("dev", { "iterator-workflow:steps": steps, "iterator-workflow:localHandlers": '{"Transcribe":"examples/handlers/transcribe.ts#handler"}' });
        expect(named.standIns).to.deep.equal([]);
        expect((await executeStack(named, { jobs: [{ name: "a" }] })).output).to.deep.equal({ jobs: [{ name: "a", transcript: "transcript of a", done: true }] });

        const unnamed = await prepareStack("dev", { "iterator-workflow:steps": steps });
        expect(unnamed.standIns).to.have.length(1);
        expect(unnamed.standIns[0]).to.match(/^step Transcribe \(arn:aws:lambda:.*:function:transcribe\) has no local handler/);
        expect((await executeStack(unnamed, { jobs: [{ name: "a" }] })).output).to.deep.equal({ jobs: [{ name: "a", transcript: { name: "a" }, done: true }] });
    });

    it("names a missing handler file or an unknown step in one line", async () => {
        for (const [handlers, message] of [
            ['{"Transcribe":"nope.ts"}', "config iterator-workflow:localHandlers.Transcribe: nope.ts does not exist"],
            ['{"Other":"examples/handlers/transcribe.ts"}', "config iterator-workflow:localHandlers.Other: there is no step of that name"],
        ]) {
            const err = await rejection(prepareStack("dev", { "iterator-workflow:steps": steps, "iterator-workflow:localHandlers": handlers }));
            expect(err.message).to.equal(message);
        }
    });
});

describe("npm start, as a command", () => {
    // As npm runs it from the package root, the user in it too.
    const start = (...args: string[]) =>
        spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "local/start.ts", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, INIT_CWD: ROOT } });

    it("--json prints only the output on stdout", () => {
        const res = start("--json");
        expect(res.status, res.stderr).to.equal(0);
        expect(JSON.parse(res.stdout).jobs).to.have.length(2);
    });

    it("ends bad input with one error line and the bad-input exit code, never a stack trace", () => {
        const res = start("--input", "package.json");
        expect(res.status).to.equal(EXIT.badInput);
        expect(res.stderr).to.equal('error: input file package.json: the workflow input has no "jobs" field; expected {"jobs": [ ... ]}\n');
    });
});
