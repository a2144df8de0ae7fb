// `npm start -- [--stack dev] [--input FILE] [--json] [--trace] ...`: runs the stack's workflow locally.
import * as fs from "node:fs";
import * as path from "node:path";
import { STATE } from "../components/definition";
import { MAP_STATE } from "../components/mapDefinition";
import { resultKeyOf, type Json } from "../components/steps";
import { RESERVED_RESULT_KEYS } from "../components/validate";
import { ITERATOR_FIELD } from "../functions/moveToEnd";
import { eachState } from "../policies/asl";
import { EXIT, main, parseCli, shownPath, userDir, userPath } from "./cli";
import { InputError } from "./errors";
import { STANDARD_PRICE_PER_TRANSITION, type LocalEvent, type RunReport } from "./execute";
import { formatViolations, mandatory, PACK_NAME, PACK_VERSION, PolicyConfigError, PolicyViolationError, readPolicyConfig, runPolicies } from "./policyRun";
import { downloadResults, LOCAL_S3_DIRECTORY, readsByReference, startStore, storeOf, uploadJobs } from "./byReference";
import type { LocalS3 } from "./jobStore";
import { DEFAULT_INPUT, executeStack, prepareStack, readInput } from "./runStack";
import { ROOT } from "./synth";

const USAGE =
    "usage: npm start -- [--stack NAME] [--input FILE.json|FILE.jsonl] [--results FILE.jsonl] [--workflow NAME] [--json] [--trace] [--policy-pack-config FILE] [--state-out FILE] [--cwd DIR]";

type Job = Record<string, Json>;

/** The states a job leaves when it is done: MoveToEnd (iterator), MarkDone (map). */
const JOB_FINISHED: string[] = [STATE.moveToEnd, MAP_STATE.markDone];

function cell(value: Json | undefined): string {
    if (value === undefined) return "";
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > 28 ? `${text.slice(0, 27)}…` : text;
}

function table(jobs: Job[], resultKeys: string[]): string {
    const head = ["#", "job", ...resultKeys, "status"];
    const rows = jobs.map((job, i) => {
        const { done: _d, error, ...fields } = job;
        for (const key of resultKeys) delete fields[key];
        const status = error ? `error: ${(error as { Error?: string }).Error ?? "?"}` : job.done ? "done" : "not done";
        return [String(i + 1), cell(fields), ...resultKeys.map((k) => cell(job[k])), status];
    });
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join("  ").trimEnd();
    return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function figures(report: RunReport, s3?: LocalS3): string {
    const jobs = report.output !== undefined && typeof (report.output as { total?: unknown }).total === "number" ? (report.output as { total: number }).total : undefined;
    const requests = s3 === undefined ? [] : [`S3 requests        ${s3.requests.GET} GET, ${s3.requests.PUT} PUT${jobs ? ` (${((s3.requests.GET + s3.requests.PUT) / jobs).toFixed(4)} per job)` : ""}`];
    return [
        `executions         ${report.executions}${report.executions > 1 ? " (the first handed over to the next before the history limit)" : ""}`,
        ...requests,
        `state transitions  ${report.transitions}`,
        `history events     ${report.historyEvents} in the longest execution (AWS's count; Standard's limit is 25,000 per execution)`,
        `peak payload       ${report.peakPayloadBytes} bytes (limit 262,144)`,
        `duration           ${report.durationMs} ms (local)`,
        `cost at Standard   $${(report.transitions * STANDARD_PRICE_PER_TRANSITION).toFixed(6)} (${report.transitions} transitions × $0.025 per 1,000)`,
    ].join("\n");
}

/**
 * Writes a failed run's kept state where no other run writes: `--state-out FILE`, else a new file
 * named for the stack, the time and this process in the user's directory. Returns its full path.
 */
function keepState(state: Json, stack: string, stateOut: string | undefined): string {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    if (stateOut !== undefined) {
        fs.writeFileSync(stateOut, text);
        return stateOut;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "Z");
    for (let n = 0; ; n++) {
        const file = path.join(userDir(), `failed-state-${stack}-${stamp}-${process.pid}${n > 0 ? `-${n}` : ""}.json`);
        try {
            // "wx": never over another run's file.
            fs.writeFileSync(file, text, { flag: "wx" });
            return file;
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
    }
}

main(
    async () => {
        const args = parseCli(
            {
                stack: { type: "string", default: "dev" },
                input: { type: "string" },
                workflow: { type: "string" },
                json: { type: "boolean", default: false },
                trace: { type: "boolean", default: false },
                "policy-pack-config": { type: "string" },
                "state-out": { type: "string" },
                results: { type: "string" },
                cwd: { type: "string" },
            },
            USAGE,
        );
        const json = args.json as boolean;
        const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
        const stack = args.stack as string;
        // Paths on the command line are the user's, from where they ran npm start; the default input is this repository's.
        const inputFile = args.input === undefined ? DEFAULT_INPUT : userPath(args.input as string);
        const inputShown = args.input === undefined ? path.relative(ROOT, DEFAULT_INPUT) : (args.input as string);
        // A JSON Lines file is read by reference, from the local S3 API; anything else is the workflow's input.
        const jsonLines = inputFile.endsWith(".jsonl");
        let input: Json = jsonLines ? {} : readInput(inputFile, inputShown);
        const stateOut = args["state-out"] === undefined ? undefined : userPath(args["state-out"] as string);
        if (stateOut !== undefined && !fs.existsSync(path.dirname(stateOut))) throw new InputError(`--state-out ${args["state-out"] as string}: there is no directory ${shownPath(path.dirname(stateOut))}`);
        const policyConfigFile = args["policy-pack-config"] as string | undefined;
        const policyConfig = policyConfigFile === undefined ? undefined : readPolicyConfig(userPath(policyConfigFile), policyConfigFile);
        const workflow = args.workflow as string | undefined;
        const run = await prepareStack(stack, {}, { dir: args.cwd === undefined ? ROOT : userPath(args.cwd as string), workflow });
        for (const warning of run.synth.warnings) process.stderr.write(`warning: ${warning}\n`);
        // As `pulumi up --policy-pack policies` would: a mandatory violation stops the run before it starts.
        const violations = await runPolicies(run.synth, { stack, config: policyConfig });
        process.stderr.write(violations.length > 0 ? `${formatViolations(violations)}\n\n` : `policy pack ${PACK_NAME}@v${PACK_VERSION}: no violations\n`);
        const blocking = mandatory(violations).length;
        if (blocking > 0) throw new PolicyViolationError(`the policy pack blocks stack ${stack}: ${blocking} mandatory violation(s), listed above; nothing was run`);
        for (const note of run.standIns) process.stderr.write(`note: ${note}\n`);

        const resultKeys = [...eachState(run.definition)]
            .map(({ state }) => resultKeyOf(state))
            // MarkDone writes `done` the way steps write results; it has a column of its own.
            .filter((k): k is string => k !== undefined && !(RESERVED_RESULT_KEYS as readonly string[]).includes(k));
        // Jobs by reference (a .jsonl file, or a kept state that reads on): the local S3 API, its objects
        // kept in the user's directory so that a kept state can resume.
        let s3: LocalS3 | undefined;
        let total: number | undefined;
        if (jsonLines || readsByReference(input)) {
            const store = storeOf(run.definition);
            s3 = await startStore(store, path.join(userDir(), LOCAL_S3_DIRECTORY), stack);
            if (jsonLines) ({ input, jobs: total } = await uploadJobs(inputFile, inputShown, store!, s3));
        } else {
            total = (input as { jobs: Job[] }).jobs.filter((j) => j.done !== true).length;
        }
        let finished = 0;
        const onEvent = (e: LocalEvent) => {
            if (args.trace) process.stderr.write(`${e.type.padEnd(7)} ${e.state}${e.error ? ` ${e.error.Error}` : ""}\n`);
            if (e.type === "exited" && JOB_FINISHED.includes(e.state)) {
                finished++;
                if (!json) say(`job ${finished}/${total ?? "?"} done`);
            }
        };
        const named = run.synth.workflows.length > 1 ? ` workflow ${run.workflow}` : "";
        say(`running stack ${stack}${named} locally on ${inputShown} (${total ?? "the rest of the"} job(s) to do${s3 ? ", read by reference from a local S3 API" : ""})`);
        let report: RunReport;
        try {
            report = await executeStack(run, input, onEvent);
            if (report.status === "SUCCEEDED" && s3 !== undefined) {
                const output = report.output as unknown as { results: { bucket: string; prefix: string }; total: number; done: number; failed: number };
                const resultsFile = userPath((args.results as string | undefined) ?? "results.jsonl");
                const lines = await downloadResults(s3, output, resultsFile);
                process.stderr.write(`results: ${lines} job(s), in order, in ${shownPath(resultsFile)} (${output.done} done, ${output.failed} failed)\n`);
            }
        } finally {
            await s3?.stop();
        }

        if (report.status === "SUCCEEDED") {
            if (json) process.stdout.write(`${JSON.stringify(report.output)}\n`);
            else if (s3 === undefined) say(`\n${table((report.output as { jobs: Job[] }).jobs, resultKeys)}\n`);
            else say(`\n${JSON.stringify(report.output, null, 2)}\n`);
            say(figures(report, s3));
            return EXIT.success;
        }
        say(`\nthe workflow FAILED in state ${report.failedState ?? "?"}`);
        say(`error: ${report.error?.Error}`);
        say(`cause: ${report.error?.Cause ?? ""}`);
        say(figures(report, s3));
        if (report.lastInput !== undefined) {
            const kept = report.lastInput as { jobs?: unknown };
            const jobs = Array.isArray(kept?.jobs) ? (kept.jobs as Job[]) : [];
            const done = jobs.filter((j) => j?.done === true).length;
            const file = shownPath(keepState(report.lastInput, stack, stateOut));
            process.stderr.write(`state kept in ${file} (${done} job(s) done, ${jobs.length - done} to do)\n`);
            const same = [`--stack ${stack}`, ...(args.cwd === undefined ? [] : [`--cwd ${args.cwd as string}`]), ...(workflow === undefined ? [] : [`--workflow ${workflow}`])];
            say(`to resume: npm start -- ${same.join(" ")} --input ${file}`);
        }
        return EXIT.workflowFailed;
    },
    [
        [PolicyConfigError, EXIT.badInput],
        [PolicyViolationError, EXIT.policyBlocked],
    ],
);
