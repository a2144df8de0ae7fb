// `npm run --silent make-jobs -- N [BYTES] > jobs.jsonl`: N jobs as JSON Lines, each BYTES long (default
// 100), to try a list by reference: `npm start -- --input jobs.jsonl`.
import { parseArgs } from "node:util";
import { main } from "../local/cli";
import { UsageError } from "../local/errors";

const USAGE = "usage: npm run --silent make-jobs -- N [BYTES] > jobs.jsonl";

main(async () => {
    let positionals: string[];
    try {
        ({ positionals } = parseArgs({ args: process.argv.slice(2), options: {}, strict: true, allowPositionals: true }));
    } catch (err) {
        throw new UsageError(`${(err as Error).message.split("\n")[0]}; ${USAGE}`);
    }
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError(USAGE);
    const [n, size = 100] = positionals.map(Number);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`N must be a whole number of jobs, got ${JSON.stringify(positionals[0] ?? "nothing")}`);
    const smallest = JSON.stringify({ id: n, name: `job ${n}`, pad: "" }).length;
    if (!Number.isInteger(size) || size < smallest) throw new UsageError(`BYTES must be a whole number of at least ${smallest} for ${n} jobs, got ${JSON.stringify(positionals[1])}`);
    for (let id = 0; id < n; id++) {
        const bare = JSON.stringify({ id, name: `job ${id}`, pad: "" });
        process.stdout.write(`${JSON.stringify({ id, name: `job ${id}`, pad: "x".repeat(size - bare.length) })}\n`);
    }
});
