// Stacks and job lists the local-run tests share.
import fc from "fast-check";
import type { Json } from "../../components/steps";
import { asLambda } from "../../local/execute";
import { prepareStack, type StackRun } from "../../local/runStack";
import { fnArn } from "./specs";

export type Job = Record<string, Json>;

/** A stack like dev but with one lambda step, whose local code fails for jobs marked `fail`. */
export async function lambdaStack(onJobError: "fail" | "record", extra: Record<string, string> = {}): Promise<StackRun> {
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
export const jobList = (maxLength: number) =>
    fc
        .array(
            fc.record({
                extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !["done", "error", "id", "fail", "transcript", "tag", "firstResult", "secondResult"].includes(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
                done: fc.boolean(),
                fail: fc.boolean(),
            }),
            { maxLength },
        )
        // Through JSON text, as a caller sends them: -0 is written 0, so an execution's output could not keep it.
        .map((specs) => specs.map(({ extra, done, fail }, id) => ({ ...(JSON.parse(JSON.stringify(extra)) as Job), id, ...(done ? { done: true } : {}), ...(fail ? { fail: true } : {}) })));

/** Replaces the lambda stack's Transcribe with one that counts its calls by the job's `key` field; jobs in `failing` fail. */
export function countingTranscribe(run: StackRun, failing: Set<number>, key = "id"): Map<number, number> {
    const calls = new Map<number, number>();
    run.handlers.Transcribe = asLambda((job) => {
        const id = (job as Job)[key] as number;
        calls.set(id, (calls.get(id) ?? 0) + 1);
        if (failing.has(id)) throw Object.assign(new Error(`job ${id} failed`), { name: "TranscribeError" });
        return `t${id}`;
    });
    return calls;
}
