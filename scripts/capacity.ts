// `npm run capacity -- [--stack dev] [--workflow NAME] [--cwd DIR]`: how many jobs one execution of
// the stack's workflow can take, from the IteratorWorkflow's own `capacity` output.
import { main, parseCli, userPath } from "../local/cli";
import { readStackConfig, ROOT, selectWorkflow, synthesize } from "../local/synth";

main(async () => {
    const args = parseCli(
        { stack: { type: "string", default: "dev" }, workflow: { type: "string" }, cwd: { type: "string" } },
        "usage: npm run capacity -- [--stack NAME] [--workflow NAME] [--cwd DIR]",
    );
    const stack = args.stack as string;
    const dir = args.cwd === undefined ? ROOT : userPath(args.cwd as string);
    const synth = await synthesize(readStackConfig(stack, dir), stack, { dir });
    for (const warning of synth.warnings) process.stderr.write(`warning: ${warning}\n`);
    const workflow = selectWorkflow(synth, args.workflow as string | undefined, stack);
    const c = workflow.capacity;
    const rows: [string, unknown][] = [
        ["workflow", workflow.name],
        ["strategy", c.strategy],
        ["jobs processed at once", c.concurrency],
        ["state transitions per job", c.transitionsPerJob],
        ["history events per job", c.historyEventsPerJob],
        ["history events per execution, besides jobs", c.fixedHistoryEvents],
        ["bytes each job grows by, at most", c.growthPerJobBytes],
        ["bytes a caught error adds for a moment", c.transientBytes],
        ["hands over to a new execution after", c.jobsPerExecution === null ? "never" : `${c.jobsPerExecution} jobs`],
        ["max jobs by the 25,000-event history limit", c.maxJobsByHistory ?? (c.jobsPerExecution === null ? "no limit (Express)" : "no limit (hands over)")],
        ["max jobs by the 262,144-byte payload limit", c.maxJobsByPayload ?? "declare limits.maxJobBytes"],
        ["max jobs in one list", c.maxJobs === null ? "-" : `${c.maxJobs} (bound by ${c.boundBy})`],
        ["declared limits.maxJobs fits", c.fitsDeclaredLimits ?? "declare limits.maxJobs"],
        ["largest state at the declared limits", c.peakState === null ? "declare limits.maxJobs and limits.maxJobBytes" : `${c.peakState.bytes} bytes: ${c.peakState.state}`],
    ];
    const r = c.byReference;
    rows.push(["jobs by reference (jobsFrom)", r === null ? "no job store" : "yes"]);
    if (r !== null) {
        rows.push(
            ["  jobs in the state at once (window)", r.windowJobs],
            ["  longest line read", `${r.maxLineBytes} bytes`],
            ["  S3 requests per job", `${r.s3RequestsPerJob.toFixed(4)} (one GET and one PUT a window)`],
            ["  max jobs in one list", "no bound: the state holds a window"],
            ["  largest state", `${r.peakState.bytes} bytes: ${r.peakState.state}`],
        );
    }
    for (const [label, value] of rows) process.stdout.write(`${label.padEnd(46)} ${value}\n`);
});
