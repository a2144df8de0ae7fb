// `npm run bench`: local speed of the dev stack's workflow, and per-job cost beside the seed's design.
// Figures, not tests: nothing here passes or fails on timing.
import type { StateMachineDefinition } from "../components/definition";
import { HISTORY_EVENT_LIMIT } from "../components/capacity";
import type { Json } from "../components/steps";
import { main } from "../local/cli";
import { runLocally } from "../local/execute";
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
    console.log(`\npeak memory (max RSS of this process): ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
});
