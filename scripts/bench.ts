// `npm run bench`: local speed of the dev stack's workflow, and per-job cost beside the seed's design.
// Figures, not tests: nothing here passes or fails on timing.
import type { StateMachineDefinition } from "../components/definition";
import { HISTORY_EVENT_LIMIT } from "../components/capacity";
import type { Json } from "../components/steps";
import { main } from "../local/cli";
import { runLocally } from "../local/execute";
import { storeOf } from "../local/byReference";
import { LocalS3 } from "../local/jobStore";
import { executeStack, prepareStack } from "../local/runStack";

/** The seed's definition, as published, with its Go MoveToEnd's behaviour as the local handler. */
const SEED: StateMachineDefinition = {
    Comment: "Processes an arbitrary list of jobs.",
    StartAt: "ProcessFirstPass",
    States: {
        ProcessFirstPass: { Type: "Pass", Result: "success", ResultPath: "$.jobs[0].firstResult", Next: "ProcessSecondPass" },
        ProcessSecondPass: { Type: "Pass", Result: "success", ResultPath: "$.jobs[0].secondResult", Next: "MarkAsDone" },
        MarkAsDone: { Type: "Pass", ResultPath: "$.jobs[0].done", Result: true, Next: "MoveToEnd" },
        MoveToEnd: { Type: "Task", InputPath: "$.jobs", ResultPath: "$.jobs", Resource: "arn:aws:lambda:us-east-1:123456789012:function:ProcessMoveToEnd", Next: "AllDone" },
        AllDone: { Type: "Choice", Choices: [{ Variable: "$.jobs[0].done", BooleanEquals: true, Next: "Done" }], Default: "ProcessFirstPass" },
        Done: { Type: "Pass", End: true },
    },
};
const seedMoveToEnd = async (list: Json) => {
    const jobs = list as Json[];
    return jobs.length === 0 ? jobs : [...jobs.slice(1), jobs[0]];
};

const jobs = (n: number, done?: boolean): Json[] => Array.from({ length: n }, (_, i): Json => (done === undefined ? { i } : { i, done }));

main(async () => {
    const dev = await prepareStack("dev");
    const map = await prepareStack("dev", { "iterator-workflow:strategy": "map" });
    console.log("Local speed of the dev stack (seed's two Pass steps), aws-local-stepfunctions on this machine:\n");
    console.log("strategy   jobs    wall ms   jobs/s   transitions   history events   peak payload B");
    for (const [strategy, run] of [["iterator", dev], ["map", map]] as const) {
        for (const n of [10, 100, 1000]) {
            const r = await executeStack(run, { jobs: jobs(n) });
            if (r.status !== "SUCCEEDED") throw new Error(`${strategy}, ${n} jobs: ${r.error?.Error}`);
            console.log(`${strategy.padEnd(10)} ${String(n).padEnd(7)} ${String(r.durationMs).padStart(7)}  ${String(Math.round((n / r.durationMs) * 1000)).padStart(7)}   ${String(r.transitions).padStart(11)}   ${String(r.historyEvents).padStart(14)}   ${String(r.peakPayloadBytes).padStart(14)}`);
        }
    }

    // Per-job cost from the difference of two runs, so fixed per-execution events cancel out.
    const perJob = async (run: (n: number) => ReturnType<typeof runLocally>) => {
        const [a, b] = [await run(10), await run(110)];
        if (a.status !== "SUCCEEDED" || b.status !== "SUCCEEDED") throw new Error("a calibration run failed");
        const t = (b.transitions - a.transitions) / 100;
        const e = (b.historyEvents - a.historyEvents) / 100;
        const fixed = a.historyEvents - 10 * e;
        return { t, e, max: Math.floor((HISTORY_EVENT_LIMIT - fixed) / e) };
    };
    const ours = await perJob((n) => executeStack(dev, { jobs: jobs(n) }));
    const ourMap = await perJob((n) => executeStack(map, { jobs: jobs(n) }));
    // The seed needs done:false on every job, or its Choice fails with States.Runtime.
    const seed = await perJob((n) => runLocally({ definition: SEED, input: { jobs: jobs(n, false) }, handlers: { MoveToEnd: seedMoveToEnd } }));
    console.log("\nPer job, measured from runs of 10 and 110 jobs (history events counted as AWS writes them):\n");
    console.log("design          transitions/job   history events/job   max jobs per Standard execution (history)");
    console.log(`iterator        ${String(ours.t).padStart(15)}   ${String(ours.e).padStart(18)}   ${ours.max} (without hand-over; with it, no bound)`);
    console.log(`map             ${String(ourMap.t).padStart(15)}   ${String(ourMap.e).padStart(18)}   ${ourMap.max}`);
    console.log(`seed            ${String(seed.t).padStart(15)}   ${String(seed.e).padStart(18)}   ${seed.max}`);

    // Past one execution's history: the case, 2,600 jobs like {"i":0}, with and without hand-over.
    console.log("\nPast the history limit: 2,600 jobs like {\"i\":0}, the dev stack's steps:\n");
    console.log("design                  status      executions   transitions   longest history   final output B   wall ms");
    const designs: [string, Record<string, string>][] = [
        ["iterator, hand-over", {}],
        ["iterator, no hand-over", { "iterator-workflow:handOver": "false" }],
        ["map", { "iterator-workflow:strategy": "map" }],
    ];
    for (const [design, config] of designs) {
        const r = await executeStack(await prepareStack("dev", config), { jobs: jobs(2600) });
        const size = Buffer.byteLength(JSON.stringify(r.output ?? null));
        const out = r.status === "SUCCEEDED" ? `${size} (${Math.round((size / 262_144) * 100)}%)` : r.error!.Error;
        // The claim the row stands for: every job processed once, in the caller's order.
        const done = (r.output as { jobs?: { i: number; done?: boolean; secondResult?: string }[] } | undefined)?.jobs;
        if (r.status === "SUCCEEDED" && !(done?.length === 2600 && done.every((j, k) => j.i === k && j.done === true && j.secondResult === "success"))) {
            throw new Error(`${design}: the output does not hold every job once, in order`);
        }
        console.log(`${design.padEnd(23)} ${r.status.padEnd(11)} ${String(r.executions).padStart(10)}   ${String(r.transitions).padStart(11)}   ${String(r.historyEvents).padStart(15)}   ${out.padStart(14)}   ${String(r.durationMs).padStart(7)}`);
    }
    await byReference();
    console.log(`\npeak memory (max RSS of this process): ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
});

/** n jobs as JSON Lines of exactly `size` bytes each: the same state size whatever n is. */
function jsonLines(n: number, size: number): string {
    return Array.from({ length: n }, (_, i) => {
        const bare = JSON.stringify({ i, pad: "" });
        return JSON.stringify({ i, pad: "x".repeat(size - bare.length) });
    }).join("\n");
}

/**
 * Lists of any size by reference: 2,000, 20,000 and 100,000 jobs of 100 bytes in a local S3 API, the
 * dev stack's steps, jobs of up to 128 bytes declared. Claims checked, not timed: every job comes back
 * once, in order; the peak state does not grow with the list (but for its counters' digits).
 */
async function byReference(): Promise<void> {
    const run = await prepareStack("dev", { "iterator-workflow:limits": JSON.stringify({ maxJobs: 1000, maxJobBytes: 128 }) });
    const window = (run.synth.outputs.capacity as { byReference: { windowJobs: number } }).byReference.windowJobs;
    const bucket = storeOf(run.definition)!.bucket;
    const s3 = await LocalS3.start();
    await s3.createBucket(bucket);
    console.log(`\nJobs by reference (a JSON Lines object in a local S3 API, windows of ${window} jobs), jobs of 100 bytes, the dev stack's steps:\n`);
    console.log("jobs      wall ms   ms/job   transitions/job   history events/job   executions   S3 requests/job   peak state B");
    const perJob: number[] = [];
    const peaks: number[] = [];
    try {
        for (const n of [2_000, 20_000, 100_000]) {
            const key = `input/bench-${n}.jsonl`;
            await s3.put(bucket, key, jsonLines(n, 100));
            const before = s3.requests.GET + s3.requests.PUT;
            const r = await executeStack(run, { jobsFrom: { bucket, key } });
            if (r.status !== "SUCCEEDED") throw new Error(`${n} jobs by reference: ${r.error?.Error} ${r.error?.Cause}`);
            const output = r.output as unknown as { total: number; results: { prefix: string } };
            const keys = await s3.keys(bucket, output.results.prefix);
            const lines = (await Promise.all(keys.map((k) => s3.get(bucket, k)))).join("").trimEnd().split("\n");
            if (output.total !== n || lines.length !== n || !lines.every((line, i) => JSON.parse(line).i === i && JSON.parse(line).done === true)) {
                throw new Error(`${n} jobs by reference: the results do not hold every job once, in order`);
            }
            const requests = s3.requests.GET + s3.requests.PUT - before;
            perJob.push(r.durationMs / n);
            peaks.push(r.peakPayloadBytes);
            const f = (x: number, d = 2) => x.toFixed(d);
            console.log(
                `${String(n).padEnd(9)} ${String(r.durationMs).padStart(7)}   ${f(r.durationMs / n).padStart(6)}   ${f(r.transitions / n).padStart(15)}   ${f(r.totalHistoryEvents / n).padStart(18)}   ${String(r.executions).padStart(10)}   ${f(requests / n, 4).padStart(15)}   ${String(r.peakPayloadBytes).padStart(12)}`,
            );
        }
    } finally {
        await s3.stop();
    }
    const ratio = perJob[1] / perJob[0];
    console.log(`\nms per job at 20,000 / at 2,000: ${ratio.toFixed(2)} (goal: within 1.5) — ${ratio <= 1.5 ? "met" : "NOT met"}`);
    console.log(`peak state bytes: ${peaks.join(", ")}; they differ by ${Math.max(...peaks) - Math.min(...peaks)} bytes, the digits of the cursor and counts (goal: the same whatever the length) — ${Math.max(...peaks) - Math.min(...peaks) <= 16 ? "met" : "NOT met"}`);
}
