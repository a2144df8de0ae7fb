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
import { jobList, lambdaStack, type Job } from "./helpers/stacks";

const ROOT = path.join(__dirname, "..");

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
                        // The iterator keeps the error's name and its message; a map, which runs no code of its own, the name.
                        else if (given.fail) expect(job).to.deep.equal({ ...given, error: strategy === "iterator" ? { Error: "TranscribeError", Cause: `job ${given.id} failed` } : { Error: "TranscribeError" }, done: true });
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
                    // The iterator keeps its work so far, in the caller's order: the jobs before the failing
                    // one finished, the rest as given. A Map keeps no partial results: its input.
                    const at = jobs.indexOf(firstFailing);
                    const expected = strategy === "map" ? jobs : jobs.map((j, i) => (j.done || i >= at ? j : { ...j, transcript: `t${j.id}`, tag: "t", done: true }));
                    expect(kept).to.deep.equal(expected);
                }),
                { numRuns: 20 },
            );
        });
    });
}

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
