// The local commands as a user or a script runs them: real processes, real pipes, real npm.
// Exit codes, output that arrives whole, the kept state of a failed run, paths from the user's directory.
import { expect } from "chai";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXIT } from "../local/errors";

const ROOT = path.join(__dirname, "..");
const TS_NODE = require.resolve("ts-node/dist/bin");
const LOADER = path.join(__dirname, "fixtures", "loader");
const TOP_LEVEL = path.join(LOADER, "top-level");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));

/** A command run the way npm runs it: from the package root, INIT_CWD naming where the user was. */
function command(script: string, args: string[], userDir = ROOT): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [TS_NODE, "--transpile-only", script, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, INIT_CWD: userDir } });
}
const start = (...args: string[]) => command("local/start.ts", args);

/** Every line the command wrote on stderr, without the last newline. */
const stderrLines = (res: { stderr: string }) => res.stderr.replace(/\n$/, "").split("\n");

function writeFile(name: string, text: string): string {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, text);
    return file;
}

/** The failing fixture stack's input: "c" fails, after "a" and "b" are done. */
const FAILING_INPUT = { jobs: [{ name: "a" }, { name: "b" }, { name: "c", fail: true }, { name: "d" }] };

describe("exit codes a script can use", () => {
    it(`usage: ${EXIT.usage}`, () => {
        const res = start("--bogus");
        expect(res.status).to.equal(EXIT.usage);
        expect(stderrLines(res)).to.have.length(1);
        expect(res.stderr).to.match(/^error: Unknown option '--bogus'.*; usage: npm start -- \[--stack NAME\]/);
    });

    // The policy-pack config's own case is in policies.test.ts.
    it(`bad input or config: ${EXIT.badInput} (input file, stack, program)`, () => {
        const input = start("--input", "package.json");
        expect([input.status, input.stderr]).to.deep.equal([EXIT.badInput, 'error: input file package.json: the workflow input has no "jobs" field; expected {"jobs": [ ... ]}\n']);
        const stack = start("--stack", "nope");
        expect([stack.status, stack.stderr]).to.deep.equal([EXIT.badInput, 'error: unknown stack "nope": there is no Pulumi.nope.yaml (stacks here: dev)\n']);
        const program = command("scripts/capacity.ts", ["--cwd", path.join(LOADER, "default-export")]);
        expect(program.status).to.equal(EXIT.badInput);
        expect(program.stderr).to.match(/^error: index\.ts registers no resources: its default export is a function the Pulumi CLI does not call .*\n$/);
    });

    it(`a workflow that fails: ${EXIT.workflowFailed}`, () => {
        const res = start("--cwd", TOP_LEVEL, "--stack", "failing", "--input", writeFile("failing.json", JSON.stringify(FAILING_INPUT)), "--state-out", path.join(tmp, "exit-code-state.json"));
        expect(res.status, res.stderr).to.equal(EXIT.workflowFailed);
        expect(res.stdout).to.contain("the workflow FAILED in state Transcribe\nerror: TranscribeError\n");
    });

    it(`an unexpected failure: ${EXIT.unexpected}, one line`, () => {
        const res = command("tests/fixtures/cli/throws.ts", []);
        expect([res.status, res.stderr]).to.deep.equal([EXIT.unexpected, "error: unexpected failure: cannot read properties of undefined (reading 'jobs')\n"]);
    });

    it(`a command that stops without an outcome: ${EXIT.unexpected}, not a silent 0`, () => {
        const res = command("tests/fixtures/cli/neverSettles.ts", []);
        expect([res.status, res.stderr]).to.deep.equal([EXIT.unexpected, "error: unexpected failure: the command stopped without an outcome: its work never finished (a promise that never settles)\n"]);
    });

    it(`several workflows without --workflow: ${EXIT.usage}, naming them; --workflow picks one`, () => {
        const dir = path.join(LOADER, "two-workflows");
        const none = command("scripts/capacity.ts", ["--cwd", dir]);
        expect([none.status, none.stderr]).to.deep.equal([EXIT.usage, "error: stack dev has 2 workflows (alpha, beta): pick one with --workflow NAME\n"]);
        const beta = command("scripts/capacity.ts", ["--cwd", dir, "--workflow", "beta"]);
        expect(beta.status, beta.stderr).to.equal(EXIT.success);
        expect(beta.stdout).to.match(/^workflow {39}beta\nstrategy {39}map\n/);
    });
});

describe("deep input is a one-line input error", () => {
    // Written as text: JSON.stringify itself overflows on the deepest of these.
    const nested = (levels: number) => `{"jobs":[${'{"a":'.repeat(levels)}{}${"}".repeat(levels)}]}`;

    // 3,000 levels used to print nothing and exit 0; the boundary itself is in runStack.test.ts.
    it("a job nested 3,000 levels deep", () => {
        const res = start("--input", writeFile("deep.json", nested(3_000)));
        expect(res.status).to.equal(EXIT.badInput);
        expect(stderrLines(res)).to.have.length(1);
        expect(res.stderr).to.match(/^error: input file .*deep\.json: nested more than 1,000 levels deep \(at character \d+\); the local run takes at most 1,000\n$/);
    });
});

/**
 * Runs `npm start --silent -- ARGS` with its stdout piped into a reader that takes nothing for half
 * a second, as a slow consumer would: the 64 KiB pipe fills up long before the command ends.
 */
async function throughSlowReader(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const reader = spawn(process.execPath, ["-e", "setTimeout(() => process.stdin.pipe(process.stdout), 500)"], { stdio: ["pipe", "pipe", "inherit"] });
    const npm = spawn("npm", ["start", "--silent", "--", ...args], { cwd: ROOT, stdio: ["ignore", reader.stdin, "pipe"] });
    // The command's end of the pipe is now only the command's: the reader sees EOF when it exits.
    reader.stdin.destroy();
    const out: Buffer[] = [];
    let stderr = "";
    reader.stdout.on("data", (d: Buffer) => out.push(d));
    npm.stderr.on("data", (d) => (stderr += d));
    const [status] = await Promise.all([new Promise<number | null>((resolve) => npm.on("close", resolve)), new Promise((resolve) => reader.on("close", resolve))]);
    return { status, stdout: Buffer.concat(out).toString("utf8"), stderr };
}

describe("output arrives whole through a pipe, whatever its size", function () {
    this.timeout(120_000);
    const JOBS = 2_000;
    let input: string;
    before(() => {
        input = writeFile("jobs-2000.json", JSON.stringify({ jobs: Array.from({ length: JOBS }, (_, i) => ({ i })) }));
    });

    it("--json: every byte of a 140 KB output, and exit code 0", async () => {
        const res = await throughSlowReader(["--json", "--input", input]);
        expect(res.status, res.stderr).to.equal(EXIT.success);
        const expected = `${JSON.stringify({ jobs: Array.from({ length: JOBS }, (_, i) => ({ i, firstResult: "success", secondResult: "success", done: true })) })}\n`;
        expect(Buffer.byteLength(expected)).to.be.greaterThan(2 * 65_536);
        expect(Buffer.byteLength(res.stdout)).to.equal(Buffer.byteLength(expected));
        expect(res.stdout === expected, "the output differs from the expected JSON").to.equal(true);
    });

    it("the table: every progress line, every row and the figures after them", async () => {
        const res = await throughSlowReader(["--input", input]);
        expect(res.status, res.stderr).to.equal(EXIT.success);
        const lines = res.stdout.split("\n");
        for (let i = 1; i <= JOBS; i++) expect(lines, `progress ${i}`).to.include(`job ${i}/${JOBS} done`);
        const rows = lines.filter((l) => /^\d+ {2}/.test(l));
        expect(rows).to.have.length(JOBS);
        rows.forEach((row, i) => expect(row.split(/ {2,}/)).to.deep.equal([String(i + 1), `{"i":${i}}`, "success", "success", "done"]));
        expect(lines[lines.length - 2]).to.match(/^cost at Standard {3}\$/);
    });
});

describe("a failed run keeps its state where no other run writes", function () {
    this.timeout(120_000);
    let input: string;
    before(() => {
        input = writeFile("failing-input.json", JSON.stringify(FAILING_INPUT));
    });

    /** The one `state kept in` line, and the file it names, resolved from the user's directory. */
    const keptLine = (stderr: string) => stderrLines({ stderr }).filter((l) => l.startsWith("state kept in "));

    it("--state-out FILE: written there, announced with counts from its jobs", () => {
        const res = start("--cwd", TOP_LEVEL, "--stack", "failing", "--input", input, "--state-out", path.join(tmp, "kept.json"));
        expect(res.status).to.equal(EXIT.workflowFailed);
        expect(keptLine(res.stderr)).to.deep.equal([`state kept in ${path.join(tmp, "kept.json")} (2 job(s) done, 2 to do)`]);
        const kept = JSON.parse(fs.readFileSync(path.join(tmp, "kept.json"), "utf8")) as { jobs: { name: string; done?: boolean }[] };
        expect(kept.jobs.filter((j) => j.done === true).map((j) => j.name).sort()).to.deep.equal(["a", "b"]);
        expect(kept.jobs.map((j) => j.name).sort()).to.deep.equal(["a", "b", "c", "d"]);
    });

    it("runs at the same time each keep their own file, in the user's directory; --input resumes from it", async () => {
        const userDir = fs.mkdtempSync(path.join(tmp, "user-"));
        const run = () =>
            new Promise<{ status: number | null; stderr: string }>((resolve) => {
                const child = spawn(process.execPath, [TS_NODE, "--transpile-only", "local/start.ts", "--cwd", TOP_LEVEL, "--stack", "failing", "--input", input], { cwd: ROOT, env: { ...process.env, INIT_CWD: userDir } });
                let stderr = "";
                child.stderr.on("data", (d) => (stderr += d));
                child.stdout.resume();
                child.on("close", (status) => resolve({ status, stderr }));
            });
        const runs = await Promise.all([run(), run()]);
        const lines = runs.map((r) => keptLine(r.stderr));
        expect(runs.map((r) => r.status)).to.deep.equal([EXIT.workflowFailed, EXIT.workflowFailed]);
        const files = lines.map(([line]) => /^state kept in (failed-state-failing-\S+\.json) \(2 job\(s\) done, 2 to do\)$/.exec(line)?.[1]);
        expect(files[0], lines.join("; ")).to.be.a("string");
        expect(files[1], lines.join("; ")).to.be.a("string").and.not.equal(files[0]);
        // Besides the kept states, only the saved executions a redrive reads (redrive.test.ts).
        expect(fs.readdirSync(userDir).sort()).to.deep.equal([".iterator-workflow", ...files].sort());

        // Resuming: the failing job fixed, the kept file given as --input, relative to the user's directory.
        const kept = JSON.parse(fs.readFileSync(path.join(userDir, files[0]!), "utf8")) as { jobs: Record<string, unknown>[] };
        kept.jobs.forEach((j) => delete j.fail);
        fs.writeFileSync(path.join(userDir, files[0]!), JSON.stringify(kept));
        const resumed = command("local/start.ts", ["--cwd", TOP_LEVEL, "--stack", "failing", "--input", files[0]!, "--json"], userDir);
        expect(resumed.status, resumed.stderr).to.equal(EXIT.success);
        expect(JSON.parse(resumed.stdout)).to.deep.equal({ jobs: ["a", "b", "c", "d"].map((name) => ({ name, transcript: `transcript of ${name}`, done: true })) });
    });
});

describe("paths are the user's", () => {
    it("a relative --input resolves from the directory npm start was run in", () => {
        const res = spawnSync("npm", ["start", "--silent", "--", "--input", "jobs.json", "--json"], { cwd: path.join(ROOT, "examples"), encoding: "utf8" });
        expect(res.status, res.stderr).to.equal(EXIT.success);
        expect(res.stderr).to.contain("running stack dev locally on jobs.json (2 job(s) to do)");
        expect(JSON.parse(res.stdout).jobs.map((j: { name: string }) => j.name)).to.deep.equal(["First job", "Second job"]);
    });
});
