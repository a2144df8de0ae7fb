// What a redrive (RedriveExecution) does for each way this workflow fails, shown two ways: through the
// local Step Functions service, saving an execution and loading it into a new service with fixed code
// as `npm start -- --redrive` does, and through `npm start` itself, as a user runs it.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Json } from "../components/steps";
import { EXIT } from "../local/errors";
import { asLambda, DefinitionChangedError, LocalStepFunctions, type LocalEvent, type SavedExecution } from "../local/execute";
import { EXECUTIONS_DIRECTORY, findRun, saveRun } from "../local/executions";
import { prepareStack, type StackRun } from "../local/runStack";
import { lambdaStack, type Job } from "./helpers/stacks";

const ROOT = path.join(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixtures", "redrive");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "redrive-"));

/** The lambda stack's Transcribe, counting its calls by job id; jobs in `failing` fail; `result` makes what it returns. */
function counting(run: StackRun, failing: Set<number>, result: (id: number) => Json = (id) => `t${id}`): Map<number, number> {
    const calls = new Map<number, number>();
    run.handlers.Transcribe = asLambda((job) => {
        const id = (job as Job).id as number;
        calls.set(id, (calls.get(id) ?? 0) + 1);
        if (failing.has(id)) throw Object.assign(new Error(`job ${id} failed`), { name: "TranscribeError" });
        return result(id);
    });
    return calls;
}

const service = (run: StackRun, options: { onEvent?: (e: LocalEvent) => void; historyEventLimit?: number } = {}) =>
    new LocalStepFunctions({ definition: run.definition, handlers: run.handlers, type: run.type, stateMachineArn: run.stateMachineArn, ...options });

/**
 * The executions `from` holds for `arn`, written down as JSON and loaded into a new service with the
 * stack's handlers as they are now: what `npm start -- --redrive` does with a saved run.
 */
function reloaded(from: LocalStepFunctions, arn: string, run: StackRun, onEvent?: (e: LocalEvent) => void): LocalStepFunctions {
    const next = service(run, { onEvent });
    next.load(JSON.parse(JSON.stringify(from.save(arn))) as SavedExecution[]);
    return next;
}

const ids = (n: number) => Array.from({ length: n }, (_, id) => ({ id }));
const finished = (jobs: { id: number }[]) => jobs.map(({ id }) => ({ id, transcript: `t${id}`, tag: "t", done: true }));
const once = (n: number, twice: number[] = []) => Object.fromEntries(Array.from({ length: n }, (_, id) => [id, twice.includes(id) ? 2 : 1]));

describe("redrive: a step's error with onJobError fail", () => {
    let run: StackRun;
    beforeEach(async () => {
        run = await lambdaStack("fail");
    });

    it("reruns the failed step on jobs[0] with the fixed code, then the rest; no finished job is done again", async () => {
        const failing = new Set([2]);
        const calls = counting(run, failing);
        const local = service(run);
        const first = await local.start({ jobs: ids(5) });
        expect([first.status, first.failedState, first.redriveFrom, first.error?.Error]).to.deep.equal(["FAILED", "Transcribe", "Transcribe", "TranscribeError"]);
        failing.clear();
        const entered: LocalEvent[] = [];
        const redriven = await reloaded(local, first.arn, run, (e) => e.type === "entered" && entered.push(e)).redrive(first.arn);
        expect(redriven.status, JSON.stringify(redriven.error)).to.equal("SUCCEEDED");
        expect(redriven.output).to.deep.equal({ jobs: finished(ids(5)) });
        // The redrive starts in the failed step, on the job that failed, not at Prepare.
        expect(entered[0].state).to.equal("Transcribe");
        expect(((entered[0].payload as { jobs: Job[] }).jobs[0] as Job).id).to.equal(2);
        expect(Object.fromEntries(calls)).to.deep.equal(once(5, [2]));
        expect(redriven.redriveCount).to.equal(1);
    });

    it("unfixed, fails again in the same step; every attempt counts in the execution's one history", async () => {
        counting(run, new Set([2]));
        const local = service(run);
        const first = await local.start({ jobs: ids(5) });
        const before = first.historyEvents;
        const again = await local.redrive(first.arn);
        expect([again.status, again.failedState, again.error?.Error, again.redriveCount]).to.deep.equal(["FAILED", "Transcribe", "TranscribeError", 1]);
        // ExecutionRedriven, the step entered, scheduled, started and failed, ExecutionFailed.
        expect(again.historyEvents).to.equal(before + 6);
        expect((await local.redrive(first.arn)).redriveCount).to.equal(2);
    });

    it("States.DataLimitExceeded fails the step it happens in: fixed to return less, a redrive reruns that step and finishes", async () => {
        let big = true;
        const calls = counting(run, new Set(), (id) => (big ? "x".repeat(30_000) : `t${id}`));
        const local = service(run);
        const first = await local.start({ jobs: ids(10) });
        expect([first.status, first.failedState, first.error?.Error]).to.deep.equal(["FAILED", "Transcribe", "States.DataLimitExceeded"]);
        const reached = [...calls.keys()];
        big = false;
        const redriven = await reloaded(local, first.arn, run).redrive(first.arn);
        expect(redriven.status, JSON.stringify(redriven.error)).to.equal("SUCCEEDED");
        const jobs = (redriven.output as { jobs: Job[] }).jobs;
        expect(jobs.map((j) => j.id)).to.deep.equal(ids(10).map((j) => j.id));
        expect(jobs.every((j) => j.done === true)).to.equal(true);
        // The job whose result was too large ran again; the ones before kept their results.
        const failedAt = reached[reached.length - 1];
        expect(Object.fromEntries(calls)).to.deep.equal(once(10, [failedAt]));
        expect(jobs.filter((j) => (j.transcript as string).length === 30_000).map((j) => j.id)).to.deep.equal(reached.slice(0, -1));
    });
});

describe("redrive: IteratorWorkflow.PayloadTooLarge and InvalidInput end in the Failed state, where a redrive fails again", () => {
    it("PayloadTooLarge: the redrive fails again at once, no step runs; the kept state's unfinished jobs start a new execution that does no finished job again", async () => {
        const run = await lambdaStack("fail");
        let large = true;
        // Results larger than the step declares (maxResultBytes 256): the state outgrows its budget mid-run.
        const calls = counting(run, new Set(), (id) => (large ? "x".repeat(31_800) : `s3://bucket/transcripts/${id}`));
        const local = service(run);
        const first = await local.start({ jobs: ids(12) });
        expect([first.status, first.failedState, first.error?.Error]).to.deep.equal(["FAILED", "Failed", "IteratorWorkflow.PayloadTooLarge"]);
        const before = Object.fromEntries(calls);

        const again = await local.redrive(first.arn);
        expect([again.status, again.failedState, again.error]).to.deep.equal(["FAILED", "Failed", first.error]);
        expect(Object.fromEntries(calls), "no step ran").to.deep.equal(before);

        const kept = local.report(first.arn, 0).lastInput as { jobs: Job[] };
        const done = kept.jobs.filter((j) => j.done === true);
        expect(done.map((j) => j.id)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
        // The whole kept state is as large as what failed: a new execution on it fails at once too.
        large = false;
        const whole = await service(run).start(kept as unknown as Json);
        expect([whole.status, whole.failedState, whole.error?.Error]).to.deep.equal(["FAILED", "Failed", "IteratorWorkflow.PayloadTooLarge"]);
        expect(Object.fromEntries(calls), "no step ran").to.deep.equal(before);
        // Its unfinished jobs, with the step returning a reference, finish; no finished job runs again.
        const rest = await service(run).start({ jobs: kept.jobs.filter((j) => j.done !== true) });
        expect(rest.status, JSON.stringify(rest.error)).to.equal("SUCCEEDED");
        expect((rest.output as { jobs: Job[] }).jobs.map((j) => [j.id, j.transcript])).to.deep.equal([7, 8, 9, 10, 11].map((id) => [id, `s3://bucket/transcripts/${id}`]));
        expect(Object.fromEntries(calls)).to.deep.equal(once(12, [7]));
    });

    it("InvalidInput: the redrive fails again with the same cause; the kept state is the input as given, to fix and start anew", async () => {
        const run = await lambdaStack("fail");
        const calls = counting(run, new Set());
        const local = service(run);
        const input = { jobs: [{ id: 0 }, 7], batch: "b1" } as unknown as Json;
        const first = await local.start(input);
        expect([first.status, first.failedState, first.error?.Error]).to.deep.equal(["FAILED", "Failed", "IteratorWorkflow.InvalidInput"]);
        const again = await reloaded(local, first.arn, run).redrive(first.arn);
        expect([again.status, again.failedState, again.error]).to.deep.equal(["FAILED", "Failed", first.error]);
        expect(local.report(first.arn, 0).lastInput).to.deep.equal(input);
        expect(calls.size).to.equal(0);
    });
});

describe("redrive: IteratorWorkflow.HandOverLost ends in a Fail state too", () => {
    it("a chain whose failed execution can no longer be redriven: the first fails again in ChildLost, the lost one is not run; its kept state holds the jobs finished before", async () => {
        const run = await lambdaStack("fail", { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution: 2 }) });
        const calls = counting(run, new Set([2]));
        const local = service(run);
        const first = await local.start({ jobs: ids(4) });
        // As after 14 days: the execution it handed over to can no longer be redriven.
        for (const e of local.executions.values()) if (e.arn !== first.arn) e.historyLimitReached = true;
        const lost = await local.redrive(first.arn);
        expect([lost.status, lost.failedState, lost.error?.Error]).to.deep.equal(["FAILED", "ChildLost", "IteratorWorkflow.HandOverLost"]);
        expect(local.failureOrigin(first.arn)).to.equal(lost);
        const before = Object.fromEntries(calls);
        const again = await reloaded(local, first.arn, run).redrive(first.arn);
        expect([again.status, again.failedState, again.error?.Error]).to.deep.equal(["FAILED", "ChildLost", "IteratorWorkflow.HandOverLost"]);
        expect(Object.fromEntries(calls), "no step ran").to.deep.equal(before);
        expect((local.report(first.arn, 0).lastInput as { jobs: Job[] }).jobs.map((j) => j.done === true)).to.deep.equal([true, true, false, false]);
    });
});

describe("redrive: a failure deep in a chain of hand-overs", () => {
    it("a redrive of the first execution redrives each one down to the failed one, which resumes where it stopped: none started anew, no job done twice", async () => {
        // Two jobs per execution; job 6 fails in the fourth.
        const run = await lambdaStack("fail", { "iterator-workflow:handOver": JSON.stringify({ jobsPerExecution: 2 }) });
        const failing = new Set([6]);
        const calls = counting(run, failing);
        const local = service(run);
        const first = await local.start({ jobs: ids(8) });
        expect([first.status, first.failedState, first.error?.Error]).to.deep.equal(["FAILED", "HandOver", "States.TaskFailed"]);
        const arns = [...local.executions.keys()];
        expect(arns).to.have.length(4);
        // The failure comes from the fourth, where the step failed; each above it failed waiting on the next.
        expect([local.failureOrigin(first.arn).arn, local.failureOrigin(first.arn).error?.Error]).to.deep.equal([arns[3], "TranscribeError"]);

        failing.clear();
        const next = reloaded(local, first.arn, run);
        expect([...next.executions.keys()], "every execution of the chain is saved").to.deep.equal(arns);
        const redriven = await next.redrive(first.arn);
        expect(redriven.status, JSON.stringify(redriven.error)).to.equal("SUCCEEDED");
        expect(redriven.output).to.deep.equal({ jobs: finished(ids(8)) });
        expect([...next.executions.keys()]).to.deep.equal(arns);
        expect([...next.executions.values()].map((e) => [e.status, e.redriveCount])).to.deep.equal(arns.map(() => ["SUCCEEDED", 1]));
        expect(Object.fromEntries(calls)).to.deep.equal(once(8, [6]));
    });
});

describe("redrive: what cannot be redriven", () => {
    it("an execution that reached the history limit (scaled: 500 events): ExecutionNotRedrivable, saved or not", async () => {
        for (const extra of [{ "iterator-workflow:handOver": "false" }, { "iterator-workflow:strategy": "map" }] as Record<string, string>[]) {
            const run = await prepareStack("dev", extra);
            const local = service(run, { historyEventLimit: 500 });
            const first = await local.start({ jobs: ids(100) });
            expect(first.error?.Error).to.equal("States.Runtime");
            const next = service(run, { historyEventLimit: 500 });
            next.load(local.save(first.arn));
            for (const s of [local, next]) {
                expect(s.redriveStatus(first.arn)).to.deep.equal({ redrivable: false, reason: "Execution history event limit exceeded" });
                expect(() => s.redrive(first.arn)).to.throw(`Execution history event limit exceeded: '${first.arn}'`).with.property("name", "Sfn.ExecutionNotRedrivableException");
            }
        }
    });

    it("an execution of another definition is not loaded: AWS redrives with the definition the execution started with", async () => {
        const run = await lambdaStack("fail");
        counting(run, new Set([0]));
        const local = service(run);
        const first = await local.start({ jobs: ids(1) });
        const changed = await lambdaStack("fail", { "iterator-workflow:timeoutSeconds": "3600" });
        expect(() => service(changed).load(local.save(first.arn))).to.throw(DefinitionChangedError);
    });

    it("a Map's failed iteration: AWS redrives only the failed iterations, which the local service cannot, so it refuses", async () => {
        const run = await lambdaStack("fail", { "iterator-workflow:strategy": "map" });
        counting(run, new Set([1]));
        const local = service(run);
        const first = await local.start({ jobs: ids(3) });
        expect([first.status, first.redriveFrom]).to.deep.equal(["FAILED", "ProcessJobs"]);
        expect(local.redriveStatus(first.arn)).to.deep.equal({ redrivable: false, reason: "The local service cannot redrive only the failed iterations of Map state ProcessJobs, as AWS does" });
    });
});

/** A user's directory: where npm start is run, keeps its state and saves its executions. */
function userDir(): string {
    return fs.mkdtempSync(path.join(tmp, "user-"));
}

/**
 * `npm start --silent -- ARGS` run by a user in `dir` (npm finds this package through --prefix and
 * names `dir` in INIT_CWD), with the fixture's local code told which jobs fail and where to count calls.
 */
function npmStart(dir: string, args: string[], env: Record<string, string> = {}) {
    const { INIT_CWD: _outer, ...outer } = process.env;
    return spawnSync("npm", ["--prefix", ROOT, "start", "--silent", "--", ...args], { cwd: dir, encoding: "utf8", env: { ...outer, REDRIVE_FIXTURE_CALLS: path.join(dir, "calls.txt"), ...env } });
}

/** How often the fixture's local code ran for each job name. */
function callsIn(dir: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const name of fs.readFileSync(path.join(dir, "calls.txt"), "utf8").split("\n").filter((l) => l !== "")) counts[name] = (counts[name] ?? 0) + 1;
    return counts;
}

/** The arguments of the `to redrive: npm start -- ARGS` line. */
function redriveLine(stdout: string): string[] {
    const line = stdout.split("\n").find((l) => l.startsWith("to redrive: "));
    expect(line, stdout).to.be.a("string");
    const [, args] = /^to redrive: npm start -- (.*)$/.exec(line!)!;
    return args.split(" ");
}

const oneLine = (stderr: string) => stderr.replace(/\n$/, "").split("\n");

describe("npm start -- --redrive: the local `aws stepfunctions redrive-execution`", function () {
    this.timeout(120_000);

    it("a failed chain prints how to redrive it; refused while the program differs, the redrive with the code fixed finishes it, and a second is refused", () => {
        const dir = userDir();
        fs.writeFileSync(path.join(dir, "in.json"), JSON.stringify({ jobs: ["a", "b", "c", "d", "e", "f"].map((name) => ({ name })) }));
        const failed = npmStart(dir, ["--cwd", FIXTURE, "--stack", "chain", "--input", "in.json"], { REDRIVE_FIXTURE_FAILING: "e" });
        expect(failed.status, failed.stderr).to.equal(EXIT.workflowFailed);
        expect(failed.stdout).to.contain("the workflow FAILED in state HandOver\nerror: States.TaskFailed\n");
        expect(failed.stdout).to.match(/^first failed: execution [0-9a-f]{64} \(started by hand-over\) in state Transcribe, error TranscribeError: .*cannot transcribe e/m);
        // Three executions FAILED (the two above the failed one at HandOver): each counts in AWS's metric.
        expect(oneLine(failed.stderr)).to.include("in AWS: ExecutionsFailed +3 (3 execution(s) FAILED); alarm redrive-failed would go to ALARM, notifying arn:aws:sns:us-east-1:123456789012:redrive-alarms");
        const args = redriveLine(failed.stdout);
        const name = args[args.length - 1];
        expect(args).to.deep.equal(["--stack", "chain", "--cwd", FIXTURE, "--redrive", name]);
        expect(name).to.match(/^chain-\d{8}T\d{6}Z-\d+$/);
        const kept = /^to resume: npm start -- --stack chain --cwd \S+ --input (failed-state-chain-\S+\.json)$/m.exec(failed.stdout)?.[1];
        expect(kept, failed.stdout).to.be.a("string");

        // What was saved: each execution of the chain, with what a redrive needs.
        const file = path.join(dir, EXECUTIONS_DIRECTORY, `${name}.json`);
        expect(oneLine(failed.stderr)).to.include(`executions saved in ${path.join(EXECUTIONS_DIRECTORY, `${name}.json`)}`);
        const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { stack: string; executions: SavedExecution[] };
        expect(saved.stack).to.equal("chain");
        expect(saved.executions.map((e) => [e.status, e.failedState, e.redriveFrom, e.redriveCount, e.children.length])).to.deep.equal([
            ["FAILED", "HandOver", "HandOver", 0, 1],
            ["FAILED", "HandOver", "HandOver", 0, 1],
            ["FAILED", "Transcribe", "Transcribe", 0, 0],
        ]);
        expect(saved.executions[0].input).to.deep.equal(JSON.parse(fs.readFileSync(path.join(dir, "in.json"), "utf8")));
        expect(saved.executions[1].arn).to.equal(saved.executions[0].children[0]);
        expect((saved.executions[2].failedInput as { jobs: Job[] }).jobs[0]).to.deep.equal({ name: "e" });
        expect(saved.executions.every((e) => e.historyEvents > 0)).to.equal(true);

        // The program changed since: refused, naming the kept state to start from instead.
        const changed = npmStart(dir, args, { REDRIVE_FIXTURE_TIMEOUT_SECONDS: "3600" });
        expect(changed.status).to.equal(EXIT.notRedrivable);
        expect(changed.stdout).to.equal("");
        expect(oneLine(changed.stderr)).to.deep.equal([
            `error: --redrive ${name}: the execution ran another definition than stack chain's config and program give now, and AWS redrives an execution with the definition it started with: undo the change to redrive it; or start a new execution from its kept state: npm start -- --stack chain --cwd ${FIXTURE} --input ${kept}`,
        ]);

        // The code fixed: the chain resumes where it stopped, job e runs again, no other job does.
        const redriven = npmStart(dir, args);
        expect(redriven.status, redriven.stderr).to.equal(EXIT.success);
        expect(redriven.stdout).to.match(new RegExp(`^redriving execution ${name} of stack chain locally from state HandOver \\(redrive 1; 2 job\\(s\\) to do\\)\\njob 1/2 done\\njob 2/2 done\\n`));
        const rows = redriven.stdout.split("\n").filter((l) => /^\d+ {2}/.test(l));
        expect(rows.map((r) => r.split(/ {2,}/))).to.deep.equal(["a", "b", "c", "d", "e", "f"].map((n, i) => [String(i + 1), `{"name":"${n}"}`, `transcript of ${n}`, "done"]));
        expect(redriven.stdout).to.match(/\nexecutions {9}3 /);
        expect(callsIn(dir)).to.deep.equal({ a: 1, b: 1, c: 1, d: 1, e: 2, f: 1 });

        // Succeeded now, as its saved record says: by name or by ARN, a redrive is refused.
        const arn = `arn:aws:states:us-east-1:123456789012:execution:redrive:${name}`;
        const again = npmStart(dir, ["--cwd", FIXTURE, "--redrive", arn]);
        expect([again.status, again.stdout, again.stderr]).to.deep.equal([EXIT.notRedrivable, "", `error: --redrive ${arn}: Execution is SUCCEEDED and cannot be redriven (Sfn.ExecutionNotRedrivableException)\n`]);
    });

    it("jobs by reference: the redrive reads on from the local S3 API's kept objects; every result once, in order", () => {
        const dir = userDir();
        const names = Array.from({ length: 10 }, (_, i) => `j${i}`);
        fs.writeFileSync(path.join(dir, "jobs.jsonl"), names.map((name) => `${JSON.stringify({ name })}\n`).join(""));
        const failed = npmStart(dir, ["--cwd", FIXTURE, "--stack", "byref", "--input", "jobs.jsonl"], { REDRIVE_FIXTURE_FAILING: "j7" });
        expect(failed.status, failed.stderr).to.equal(EXIT.workflowFailed);
        const redriven = npmStart(dir, [...redriveLine(failed.stdout), "--json"]);
        expect(redriven.status, redriven.stderr).to.equal(EXIT.success);
        expect(JSON.parse(redriven.stdout)).to.deep.include({ total: 10, done: 10, failed: 0 });
        const results = fs.readFileSync(path.join(dir, "results.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
        expect(results).to.deep.equal(names.map((name) => ({ name, transcript: `transcript of ${name}`, done: true })));
        expect(callsIn(dir)).to.deep.equal(Object.fromEntries(names.map((n) => [n, n === "j7" ? 2 : 1])));
    });

    it("IteratorWorkflow.InvalidInput ends in the Fail state: no redrive is offered, and one fails again the same way", () => {
        const dir = userDir();
        fs.writeFileSync(path.join(dir, "jobs.jsonl"), '{"name":"j0"}\n[1]\n');
        const failed = npmStart(dir, ["--cwd", FIXTURE, "--stack", "byref", "--input", "jobs.jsonl"]);
        expect(failed.status, failed.stderr).to.equal(EXIT.workflowFailed);
        const failure = /\nthe workflow FAILED in state Failed\nerror: IteratorWorkflow.InvalidInput\ncause: jobsFrom: line 2 of \S+ must be a JSON object, got an array\n/;
        expect(failed.stdout).to.match(failure);
        expect(failed.stdout).to.match(/\nto resume: npm start -- --stack byref --cwd \S+ --input failed-state-byref-\S+\.json\n$/);
        expect(oneLine(failed.stderr)).to.include("no redrive: the execution failed in Fail state Failed, which a redrive enters again and fails the same way; start a new execution from the kept state");
        const name = /^executions saved in \S+\/([^/]+)\.json$/m.exec(failed.stderr)?.[1];
        expect(name, failed.stderr).to.be.a("string");

        const again = npmStart(dir, ["--cwd", FIXTURE, "--redrive", name!]);
        expect(again.status, again.stderr).to.equal(EXIT.workflowFailed);
        expect(again.stdout).to.match(new RegExp(`^redriving execution ${name} of stack byref locally from state Failed \\(redrive 1; `));
        expect(again.stdout).to.match(failure);
        expect(fs.existsSync(path.join(dir, "calls.txt")), "no step ran").to.equal(false);
    });

    it("an execution that reached the history limit: one line, and the kept state to start from", async () => {
        const dir = userDir();
        // Scaled: a 40-event limit, reached before the first hand-over, saved as npm start saves a failed run.
        const run = await prepareStack("chain", {}, { dir: FIXTURE });
        const local = service(run, { historyEventLimit: 40 });
        const first = await local.start({ jobs: [{ name: "a" }, { name: "b" }, { name: "c" }] }, "history-limit");
        expect(first.error?.Error).to.equal("States.Runtime");
        saveRun(path.join(dir, EXECUTIONS_DIRECTORY), { stack: "chain", workflow: run.workflow, keptState: path.join(dir, "kept.json"), executions: local.save(first.arn) });
        const res = npmStart(dir, ["--cwd", FIXTURE, "--redrive", "history-limit"]);
        expect([res.status, res.stdout]).to.deep.equal([EXIT.notRedrivable, ""]);
        expect(oneLine(res.stderr)).to.deep.equal([
            `error: --redrive history-limit: Execution history event limit exceeded (Sfn.ExecutionNotRedrivableException); or start a new execution from its kept state: npm start -- --stack chain --cwd ${FIXTURE} --input kept.json`,
        ]);
    });

    it("an unknown name, and --redrive with --input: one line each", () => {
        const dir = userDir();
        const unknown = npmStart(dir, ["--redrive", "no-such-execution"]);
        expect([unknown.status, unknown.stderr]).to.deep.equal([
            EXIT.badInput,
            `error: --redrive no-such-execution: there is no saved execution of that name in ${EXECUTIONS_DIRECTORY} (a failed npm start saves its executions there)\n`,
        ]);
        const both = npmStart(dir, ["--redrive", "x", "--input", "in.json"]);
        expect(both.status).to.equal(EXIT.usage);
        expect(oneLine(both.stderr)).to.have.length(1);
        expect(both.stderr).to.match(/^error: --redrive and --input go apart: /);
    });

    it("an execution a hand-over started is redriven through the first of its chain", () => {
        const dir = path.join(userDir(), EXECUTIONS_DIRECTORY);
        const execution = (name: string, children: string[] = []) => ({ arn: `arn:aws:states:us-east-1:123456789012:execution:m:${name}`, name, input: {}, status: "FAILED", children, redriveCount: 0, historyEvents: 3, transitions: 1, peakPayloadBytes: 2, historyLimitReached: false, definitionDigest: "d" }) as SavedExecution;
        saveRun(dir, { stack: "dev", workflow: "w", executions: [execution("first", ["arn:aws:states:us-east-1:123456789012:execution:m:second"]), execution("second")] });
        expect(findRun(dir, "first", "shown").executions.map((e) => e.name)).to.deep.equal(["first", "second"]);
        expect(() => findRun(dir, "second", "shown")).to.throw("--redrive second: a hand-over of execution first started it; redrive that one, the first of the chain: it redrives second from where it stopped");
        expect(() => findRun(dir, "../first", "shown")).to.throw("--redrive ../first: must be an execution's name (letters, digits, - and _, at most 80) or its ARN");
    });
});

describe("the saved executions name the definition they ran", () => {
    it("by the SHA-256 of its JSON text", async () => {
        const run = await lambdaStack("fail");
        counting(run, new Set([0]));
        const local = service(run);
        const first = await local.start({ jobs: ids(1) });
        const [saved] = local.save(first.arn);
        expect(saved.definitionDigest).to.equal(createHash("sha256").update(JSON.stringify(run.definition)).digest("hex"));
    });
});
