// `npm start -- [--stack dev] [--input FILE] [--json] [--trace]`: runs the stack's workflow locally.
import * as fs from "node:fs";
import { STATE } from "../components/definition";
import { MAP_STATE } from "../components/mapDefinition";
import { resultKeyOf, type Json } from "../components/steps";
import { RESERVED_RESULT_KEYS } from "../components/validate";
import { ITERATOR_FIELD } from "../functions/moveToEnd";
import { eachState } from "../policies/asl";
import { main, parseCli } from "./cli";
import { STANDARD_PRICE_PER_TRANSITION, type LocalEvent, type RunReport } from "./execute";
import { formatViolations, mandatory, PACK_NAME, PACK_VERSION, PolicyConfigError, PolicyViolationError, readPolicyConfig, runPolicies } from "./policyRun";
import { DEFAULT_INPUT, executeStack, InputError, prepareStack, readInput } from "./runStack";

/** Where a failed run leaves its state, so no job's work is lost. */
const FAILED_STATE_FILE = "failed-state.json";
const USAGE = "usage: npm start -- [--stack NAME] [--input FILE] [--json] [--trace] [--policy-pack-config FILE]";

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

export function figures(report: RunReport): string {
    return [
        `executions         ${report.executions}${report.executions > 1 ? " (the first handed over to the next before the history limit)" : ""}`,
        `state transitions  ${report.transitions}`,
        `history events     ${report.historyEvents} in the longest execution (AWS's count; Standard's limit is 25,000 per execution)`,
        `peak payload       ${report.peakPayloadBytes} bytes (limit 262,144)`,
        `duration           ${report.durationMs} ms (local)`,
        `cost at Standard   $${(report.transitions * STANDARD_PRICE_PER_TRANSITION).toFixed(6)} (${report.transitions} transitions × $0.025 per 1,000)`,
    ].join("\n");
}

main(async () => {
    const args = parseCli(
        {
            stack: { type: "string", default: "dev" },
            input: { type: "string", default: DEFAULT_INPUT },
            json: { type: "boolean", default: false },
            trace: { type: "boolean", default: false },
            "policy-pack-config": { type: "string" },
        },
        USAGE,
    );
    const json = args.json as boolean;
    const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
    const input = readInput(args.input as string);
    const stack = args.stack as string;
    const policyConfigFile = args["policy-pack-config"] as string | undefined;
    const policyConfig = policyConfigFile === undefined ? undefined : readPolicyConfig(policyConfigFile);
    const run = await prepareStack(stack);
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
    const total = (input as { jobs: Job[] }).jobs.filter((j) => j.done !== true).length;
    let finished = 0;
    const onEvent = (e: LocalEvent) => {
        if (args.trace) process.stderr.write(`${e.type.padEnd(7)} ${e.state}${e.error ? ` ${e.error.Error}` : ""}\n`);
        if (e.type === "exited" && JOB_FINISHED.includes(e.state)) {
            finished++;
            if (!json) say(`job ${finished}/${total} done`);
        }
    };
    say(`running stack ${args.stack as string} locally on ${args.input as string} (${total} job(s) to do)`);
    const report = await executeStack(run, input, onEvent);

    if (report.status === "SUCCEEDED") {
        if (json) process.stdout.write(`${JSON.stringify(report.output)}\n`);
        else say(`\n${table((report.output as { jobs: Job[] }).jobs, resultKeys)}\n`);
        say(figures(report));
        return 0;
    }
    const cause = report.error?.Cause ?? "";
    say(`\nthe workflow FAILED in state ${report.failedState ?? "?"}`);
    say(`error: ${report.error?.Error}`);
    say(`cause: ${cause}`);
    const kept = report.lastInput as { jobs?: Job[]; [ITERATOR_FIELD]?: unknown } | undefined;
    if (kept?.jobs) {
        fs.writeFileSync(FAILED_STATE_FILE, `${JSON.stringify(kept, null, 2)}\n`);
        say(`state kept in ${FAILED_STATE_FILE}: ${kept.jobs.length} job(s), ${kept.jobs.filter((j) => j.done).length} done; rerun with --input ${FAILED_STATE_FILE} to resume`);
    }
    say(figures(report));
    return 1;
}, [InputError, PolicyConfigError, PolicyViolationError]);
