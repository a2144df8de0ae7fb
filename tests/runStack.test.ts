// What npm start checks before it runs, and how it runs local code: the input's depth and size,
// localHandlers paths, a handler that returns nothing or never returns.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Json } from "../components/steps";
import { STRATEGIES } from "../components/workflowTags";
import { InputError, StackError } from "../local/errors";
import { executeStack, LOCAL_TASK_TIMEOUT_SECONDS, MAX_INPUT_DEPTH, prepareStack, readInput } from "../local/runStack";
import { rejection } from "./helpers/errors";
import { fnArn } from "./helpers/specs";

const TOP_LEVEL = path.join(__dirname, "fixtures", "loader", "top-level");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "run-stack-"));
const writeInput = (name: string, text: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, text);
    return file;
};

/** `{"jobs": [job]}` where the job holds objects nested so that the whole document is `depth` levels deep. */
function nestedInput(depth: number): { jobs: Json[] } {
    // The document is level 1, `jobs` level 2, the job level 3.
    let inner: Record<string, Json> = {};
    const job = inner;
    for (let level = 4; level <= depth; level++) {
        const next: Record<string, Json> = {};
        inner.a = next;
        inner = next;
    }
    return { jobs: [job] };
}

describe("the input, checked when it is read", () => {
    it(`takes JSON nested ${MAX_INPUT_DEPTH} levels deep and refuses one level more, in one line`, () => {
        const ok = writeInput("deep-ok.json", JSON.stringify(nestedInput(MAX_INPUT_DEPTH)));
        expect(readInput(ok)).to.deep.equal(nestedInput(MAX_INPUT_DEPTH));

        const text = JSON.stringify(nestedInput(MAX_INPUT_DEPTH + 1));
        const tooDeep = writeInput("deep.json", text);
        expect(() => readInput(tooDeep, "deep.json")).to.throw(InputError, `input file deep.json: nested more than 1,000 levels deep (at character ${text.lastIndexOf("{") + 1}); the local run takes at most 1,000`);
    });

    it("counts brackets inside strings as text, not nesting", () => {
        const file = writeInput("strings.json", JSON.stringify({ jobs: [{ name: "[".repeat(5000) + '\\"{' }] }));
        expect((readInput(file) as { jobs: { name: string }[] }).jobs[0].name).to.have.length(5003);
    });

    it("refuses an execution input over 262,144 bytes, as StartExecution does", () => {
        const sized = (bytes: number) => {
            const base = JSON.stringify({ jobs: [{ pad: "" }] }).length;
            return JSON.stringify({ jobs: [{ pad: "x".repeat(bytes - base) }] });
        };
        expect(Buffer.byteLength(sized(262_144))).to.equal(262_144);
        expect(() => readInput(writeInput("at-limit.json", sized(262_144)))).not.to.throw();
        const over = writeInput("over.json", sized(262_145));
        expect(() => readInput(over, "over.json")).to.throw(InputError, "input file over.json: 262,145 bytes as compact JSON, over the 262,144 bytes StartExecution accepts");
    });

    for (const strategy of STRATEGIES) {
        it(`a job at the deepest input the local run takes completes (strategy ${strategy})`, async () => {
            const run = await prepareStack("dev", { "iterator-workflow:strategy": strategy });
            const input = nestedInput(MAX_INPUT_DEPTH);
            const report = await executeStack(run, input);
            expect(report.status, JSON.stringify(report.error)).to.equal("SUCCEEDED");
            expect((report.output as { jobs: Record<string, Json>[] }).jobs[0].a).to.deep.equal((input.jobs[0] as Record<string, Json>).a);
        });
    }
});

describe("local handlers from stack config", () => {
    const lambdaStep = (extra: Record<string, unknown> = {}) =>
        JSON.stringify([{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: fnArn("transcribe"), ...extra }]);
    const withHandler = (handler: string, extra: Record<string, unknown> = {}) =>
        prepareStack("dev", { "iterator-workflow:steps": lambdaStep(extra), "iterator-workflow:localHandlers": JSON.stringify({ Transcribe: handler }) }, { dir: TOP_LEVEL });

    it("must be a .ts or .js module inside the project: anything else is one config line naming the key", async () => {
        for (const spec of ["/etc/passwd", "../x.ts", "../../../../package.json", "Pulumi.yaml"]) {
            const err = await rejection(withHandler(spec));
            expect(err, spec).to.be.instanceOf(StackError);
            expect(err.message).to.equal(`config iterator-workflow:localHandlers.Transcribe: ${spec} must be a .ts or .js module inside the project, as a path from its directory`);
        }
        expect((await rejection(withHandler("handlers.ts#a#b"))).message).to.equal('config iterator-workflow:localHandlers.Transcribe: "handlers.ts#a#b" must be "path/to/module.ts#export", one export name after one #');
        expect((await rejection(withHandler("handlers.ts#missing"))).message).to.equal('config iterator-workflow:localHandlers.Transcribe: handlers.ts exports no function "missing"');
    });

    it("a link inside the project that leads out of it is refused too", async () => {
        // A project of its own, running the fixture's program (main may be absolute), with a link out of it.
        const project = fs.mkdtempSync(path.join(tmp, "project-"));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), `name: linked\nruntime: nodejs\nmain: ${JSON.stringify(path.join(TOP_LEVEL, "index.ts"))}\n`);
        fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), "config: {}\n");
        fs.writeFileSync(path.join(tmp, "outside.ts"), "export const handler = async () => 1;\n");
        fs.symlinkSync(path.join(tmp, "outside.ts"), path.join(project, "link-out.ts"));
        const err = await rejection(
            prepareStack("dev", { "iterator-workflow:steps": lambdaStep(), "iterator-workflow:localHandlers": '{"Transcribe": "link-out.ts#handler"}' }, { dir: project }),
        );
        expect(err.message).to.equal("config iterator-workflow:localHandlers.Transcribe: link-out.ts must be a .ts or .js module inside the project, as a path from its directory");
    });

    it("a handler that returns nothing stores null, as a Lambda function returning nothing does", async () => {
        const run = await withHandler("handlers.ts#nothing");
        const report = await executeStack(run, { jobs: [{ name: "a" }] });
        expect(report.output).to.deep.equal({ jobs: [{ name: "a", transcript: null, done: true }] });
    });

    it("a handler that never returns fails its step with States.Timeout after the step's TimeoutSeconds", async () => {
        const run = await withHandler("handlers.ts#hang", { timeoutSeconds: 1 });
        const report = await executeStack(run, { jobs: [{ name: "a" }] });
        expect(report.status).to.equal("FAILED");
        expect(report.error?.Error).to.equal("States.Timeout");
        expect(report.failedState).to.equal("Transcribe");
    });

    it("a timeout is not a States.TaskFailed: a step retrying States.TaskFailed does not retry it, as in AWS", async () => {
        const run = await withHandler("handlers.ts#hang", { timeoutSeconds: 1, retry: [{ ErrorEquals: ["States.TaskFailed"], MaxAttempts: 3, IntervalSeconds: 1 }] });
        const started = Date.now();
        const report = await executeStack(run, { jobs: [{ name: "a" }] });
        expect(report.error?.Error).to.equal("States.Timeout");
        // One attempt of about a second, not four.
        expect(report.transitions).to.equal(3);
        expect(Date.now() - started).to.be.below(3_500);
    });

    it(`without TimeoutSeconds, after the local default (${LOCAL_TASK_TIMEOUT_SECONDS} s; lowered here to 1)`, async () => {
        const steps = lambdaStep();
        const run = await prepareStack("dev", { "iterator-workflow:steps": steps, "iterator-workflow:onJobError": "record", "iterator-workflow:localHandlers": '{"Transcribe": "handlers.ts#hang"}' }, { dir: TOP_LEVEL, taskTimeoutSeconds: 1 });
        expect(JSON.parse(steps)[0].timeoutSeconds).to.equal(undefined);
        const report = await executeStack(run, { jobs: [{ name: "a" }] });
        // Caught by "record" like any step error: the job keeps it and the run goes on.
        expect(report.status).to.equal("SUCCEEDED");
        expect((report.output as { jobs: { error: { Error: string } }[] }).jobs[0].error.Error).to.equal("States.Timeout");
    });
});
