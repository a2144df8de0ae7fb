// What the synthesized workflow does, run locally with the MoveToEnd archive's own code.
import { expect } from "chai";
import { runtimeSettings } from "../components/capacity";
import { buildDefinition, type OnJobError } from "../components/definition";
import { buildMapDefinition } from "../components/mapDefinition";
import { STRATEGIES, type Strategy } from "../components/workflowTags";
import { moveToEndArchive } from "../components/moveToEndCode";
import type { Json, StepSpec } from "../components/steps";
import { asLambda, runLocally, type TaskHandler } from "../local/execute";
import { moveToEndHandlers } from "../local/handlers";
import { aslErrors } from "./helpers/asl";
import { LAMBDA_STEP, MOVE_TO_END_ARN, PASS_STEPS, SEED_INPUT, SEED_OUTPUT } from "./helpers/specs";

const archive = moveToEndArchive();

function run(steps: StepSpec[], input: Json, handlers: Record<string, TaskHandler> = {}, onJobError: OnJobError = "fail", strategy: Strategy = "iterator") {
    const definition =
        strategy === "map"
            ? buildMapDefinition({ steps, onJobError, maxConcurrency: 1 })
            : buildDefinition({ steps, moveToEndArn: MOVE_TO_END_ARN, onJobError, settings: runtimeSettings(steps, onJobError), partition: "aws" });
    expect(aslErrors(definition)).to.equal("");
    return runLocally({ definition, input, handlers: { ...moveToEndHandlers(archive), ...handlers } });
}

/** A lambda step whose function fails for the jobs named in `failFor`. */
const transcribe = (failFor: Set<unknown> = new Set()) =>
    asLambda((job) => {
        const name = (job as { name: string }).name;
        if (failFor.has(name)) throw Object.assign(new Error(`cannot transcribe ${name}`), { name: "TranscribeError" });
        return `text of ${name}`;
    });

describe("the synthesized workflow, run locally", () => {

    it("spends 2 transitions and 7 history events per job beyond the steps (the seed: 3 and 9)", async () => {
        const one = await run(PASS_STEPS, { jobs: [{}] });
        const ten = await run(PASS_STEPS, { jobs: Array.from({ length: 10 }, () => ({})) });
        expect((ten.transitions - one.transitions) / 9).to.equal(PASS_STEPS.length + 2);
        expect((ten.historyEvents - one.historyEvents) / 9).to.equal(2 * PASS_STEPS.length + 7);
    });


    it('onJobError "fail" stops at the failing step with its error, keeping the state so far', async () => {
        const jobs = ["a", "b", "c"].map((name) => ({ name }));
        const report = await run([LAMBDA_STEP], { jobs }, { Transcribe: transcribe(new Set(["b"])) });
        expect(report.status).to.equal("FAILED");
        expect(report.error?.Error).to.equal("TranscribeError");
        expect(JSON.parse(report.error!.Cause).errorMessage).to.equal("cannot transcribe b");
        expect(report.failedState).to.equal("Transcribe");
        // Kept in the caller's order, with what was done: ready to be a new execution's input.
        expect(report.lastInput).to.deep.equal({ jobs: [{ name: "a", transcript: "text of a", done: true }, { name: "b" }, { name: "c" }] });
    });

    it("resumes from a failed run's state and ends with every job, in the caller's order", async () => {
        const jobs = ["a", "b", "c", "d"].map((name) => ({ name }));
        const failed = await run([LAMBDA_STEP], { jobs }, { Transcribe: transcribe(new Set(["c"])) });
        const resumed = await run([LAMBDA_STEP], failed.lastInput as Json, { Transcribe: transcribe() });
        expect(resumed.status).to.equal("SUCCEEDED");
        expect(resumed.output).to.deep.equal({ jobs: jobs.map((j) => ({ ...j, transcript: `text of ${j.name}`, done: true })) });
    });

});

for (const strategy of STRATEGIES) {
    describe(`either strategy, run locally: ${strategy}`, () => {
        it("turns the seed's input, without done flags, into the seed's output", async () => {
            const report = await run(PASS_STEPS, SEED_INPUT, {}, "fail", strategy);
            expect(report.status).to.equal("SUCCEEDED");
            expect(report.output).to.deep.equal(SEED_OUTPUT);
        });

        it('treats a job with a key "0" as the object it is', async () => {
            const report = await run(PASS_STEPS, { jobs: [{ "0": ["x"], name: "a" }] }, {}, "fail", strategy);
            expect(report.output).to.deep.equal({ jobs: [{ "0": ["x"], name: "a", firstResult: "success", secondResult: "success", done: true }] });
        });

        it('stores a step\'s result as it is, "", 0 and false included (the local emulator is fixed to do as AWS does)', async () => {
            const steps: StepSpec[] = ["", 0, false].map((result, i) => ({ kind: "pass", name: `Falsy${i}`, resultKey: `r${i}`, result }));
            const report = await run(steps, { jobs: [{ n: 1 }] }, {}, "fail", strategy);
            expect(report.output).to.deep.equal({ jobs: [{ n: 1, r0: "", r1: 0, r2: false, done: true }] });
        });

        it("ends successfully on an empty list and passes other fields through", async () => {
            const report = await run(PASS_STEPS, { jobs: [], meeting: { id: 7 } }, {}, "fail", strategy);
            expect(report.status).to.equal("SUCCEEDED");
            expect(report.output).to.deep.equal({ jobs: [], meeting: { id: 7 } });
        });

        for (const [what, input, cause] of [
            ["a missing jobs field", { files: [] }, 'the workflow input has no "jobs" field; expected {"jobs": [ ... ]}'],
            ["jobs that is not an array", { jobs: { a: 1 } }, '"jobs" must be an array, got an object'],
            ["jobs that is a string", { jobs: "a,b" }, '"jobs" must be an array, got string "a,b"'],
            ["a job that is not an object", { jobs: [{}, "b"] }, 'jobs[1] must be an object, got string "b"'],
            ["a job that is null", { jobs: [null] }, "jobs[0] must be an object, got null"],
            ["a job that is an array", { jobs: [{}, {}, [1]] }, "jobs[2] must be an object, got an array"],
            ["a job that is an empty array", { jobs: [{}, []] }, "jobs[1] must be an object, got an array"],
            ["jobs by reference, to a workflow with no job store", { jobsFrom: { bucket: "b", key: "input/k.jsonl" } }, 'jobsFrom: this workflow has no job store, so it takes its jobs inline only: {"jobs": [ ... ]}'],
        ] as const) {
            it(`fails fast on ${what} with IteratorWorkflow.InvalidInput and a readable cause`, async () => {
                const report = await run(PASS_STEPS, input as Json, {}, "fail", strategy);
                expect(report.status).to.equal("FAILED");
                expect(report.error).to.deep.equal({ Error: "IteratorWorkflow.InvalidInput", Cause: cause });
            });
        }

        it('onJobError "fail" ends the execution with the failing step\'s error', async () => {
            const jobs = ["a", "b", "c"].map((name) => ({ name }));
            const report = await run([LAMBDA_STEP], { jobs }, { Transcribe: transcribe(new Set(["b"])) }, "fail", strategy);
            expect(report.status).to.equal("FAILED");
            expect(report.error?.Error).to.equal("TranscribeError");
            expect(JSON.parse(report.error!.Cause).errorMessage).to.equal("cannot transcribe b");
        });

        it('onJobError "record" stores the error on the job, marks it done and finishes the rest', async () => {
            const jobs = ["a", "b", "c"].map((name) => ({ name }));
            const report = await run([LAMBDA_STEP, PASS_STEPS[0]], { jobs }, { Transcribe: transcribe(new Set(["b"])) }, "record", strategy);
            expect(report.status).to.equal("SUCCEEDED");
            const out = (report.output as { jobs: Record<string, Json>[] }).jobs;
            expect(out.map((j) => j.name)).to.deep.equal(["a", "b", "c"]);
            expect(out[0]).to.deep.equal({ name: "a", transcript: "text of a", firstResult: "success", done: true });
            expect(out[1]).to.have.keys("name", "error", "done");
            expect((out[1].error as { Error: string }).Error).to.equal("TranscribeError");
            expect(out[2].transcript).to.equal("text of c");
        });
    });
}
