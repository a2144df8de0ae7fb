// `npm run capacity -- [--stack dev]`: how many jobs one execution of the stack's workflow can take.
import type { Capacity } from "../components/capacity";
import { main, parseCli } from "../local/cli";
import { readStackConfig, synthesize } from "../local/synth";

main(async () => {
    const args = parseCli({ stack: { type: "string", default: "dev" } }, "usage: npm run capacity -- [--stack NAME]");
    const { outputs } = await synthesize(readStackConfig(args.stack as string), args.stack as string);
    const c = outputs.capacity as Capacity;
    const rows: [string, unknown][] = [
        ["strategy", c.strategy],
        ["jobs processed at once", c.concurrency],
        ["state transitions per job", c.transitionsPerJob],
        ["history events per job", c.historyEventsPerJob],
        ["history events per execution, besides jobs", c.fixedHistoryEvents],
        ["bytes each job grows by", c.growthPerJobBytes],
        ["hands over to a new execution after", c.jobsPerExecution === null ? "never" : `${c.jobsPerExecution} jobs`],
        ["max jobs by the 25,000-event history limit", c.maxJobsByHistory ?? (c.jobsPerExecution === null ? "no limit (Express)" : "no limit (hands over)")],
        ["max jobs by the 262,144-byte payload limit", c.maxJobsByPayload ?? "declare limits.maxJobBytes"],
        ["max jobs in one list", c.maxJobs === null ? "-" : `${c.maxJobs} (bound by ${c.boundBy})`],
        ["declared limits.maxJobs fits", c.fitsDeclaredLimits ?? "declare limits.maxJobs"],
    ];
    for (const [label, value] of rows) console.log(`${label.padEnd(46)} ${value}`);
});
