// `npm start -- [--stack dev] [--input FILE] [--json] [--trace] ...`: runs the stack's workflow locally.
// `npm start -- --redrive NAME`: redrives a failed run's execution, saved in the user's directory, with
// the stack's current handlers, as `aws stepfunctions redrive-execution` would.
import * as fs from "node:fs";
import * as path from "node:path";
import { STATE } from "../components/definition";
import { MAP_STATE } from "../components/mapDefinition";
import { resultKeyOf, type Json } from "../components/steps";
import { RESERVED_RESULT_KEYS } from "../components/validate";
import { ITERATOR_FIELD } from "../functions/moveToEnd";
import { eachState } from "../policies/asl";
import { EXIT, main, parseCli, shownPath, userDir, userPath } from "./cli";
import { InputError, NotRedrivableError, UsageError } from "./errors";
import { DefinitionChangedError, LocalStepFunctions, STANDARD_PRICE_PER_TRANSITION, type ExecutionRecord, type LocalEvent, type RunReport } from "./execute";
import { EXECUTIONS_DIRECTORY, findRun, newExecutionName, saveRun, type SavedRun } from "./executions";
import { formatViolations, mandatory, PACK_NAME, PACK_VERSION, PolicyConfigError, PolicyViolationError, readPolicyConfig, runPolicies } from "./policyRun";
import { downloadResults, LOCAL_S3_DIRECTORY, readsByReference, startStore, storeOf, uploadJobs } from "./byReference";
import type { LocalS3 } from "./jobStore";
import { DEFAULT_INPUT, prepareStack, readInput } from "./runStack";
import { ROOT } from "./synth";
import { alarmsSetOff } from "./alarms";

const USAGE =
    "usage: npm start -- [--stack NAME] [--input FILE.json|FILE.jsonl | --redrive EXECUTION] [--results FILE.jsonl] [--workflow NAME] [--json] [--trace] [--policy-pack-config FILE] [--state-out FILE] [--cwd DIR]";

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

/** The jobs a kept state has done, and all it holds. */
function progressOf(state: Json | undefined): { done: number; jobs: number } {
    const jobs = Array.isArray((state as { jobs?: unknown } | undefined)?.jobs) ? ((state as { jobs: Job[] }).jobs) : [];
    return { done: jobs.filter((j) => j?.done === true).length, jobs: jobs.length };
}

/**
 * Loads a saved run into the service to redrive its first execution, refusing in one line what
 * RedriveExecution would refuse, and executions of another definition than the stack's now.
 */
function loadForRedrive(service: LocalStepFunctions, saved: SavedRun, option: string, stack: string, same: string): void {
    const first = saved.executions[0];
    const instead = saved.keptState === undefined ? "" : `; or start a new execution from its kept state: npm start -- ${same} --input ${shownPath(saved.keptState)}`;
    try {
        service.load(saved.executions);
    } catch (err) {
        if (!(err instanceof DefinitionChangedError)) throw err;
        throw new NotRedrivableError(`${option}: the execution ran another definition than stack ${stack}'s config and program give now, and AWS redrives an execution with the definition it started with: undo the change to redrive it${instead}`);
    }
    const status = service.redriveStatus(first.arn);
    if (!status.redrivable) throw new NotRedrivableError(`${option}: ${status.reason} (Sfn.ExecutionNotRedrivableException)${first.status === "SUCCEEDED" ? "" : instead}`);
}

main(
    async () => {
        const args = parseCli(
            {
                stack: { type: "string" },
                input: { type: "string" },
                redrive: { type: "string" },
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
        const redrive = args.redrive as string | undefined;
        if (redrive !== undefined && args.input !== undefined) throw new UsageError(`--redrive and --input go apart: a redrive runs the execution again with its own input, --input starts a new one; ${USAGE}`);
        // A redrive's executions, saved by the failed run in the user's directory: an unknown name fails before anything is synthesized.
        const executionsDir = path.join(userDir(), EXECUTIONS_DIRECTORY);
        const saved: SavedRun | undefined = redrive === undefined ? undefined : findRun(executionsDir, redrive, shownPath(executionsDir));
        const first = saved?.executions[0];
        const stack = (args.stack as string | undefined) ?? saved?.stack ?? "dev";
        if (saved !== undefined && saved.stack !== stack) throw new UsageError(`--redrive ${redrive}: the execution ran stack ${saved.stack}, not ${stack}; redrive it with --stack ${saved.stack}`);
        // Paths on the command line are the user's, from where they ran npm start; the default input is this repository's.
        const inputFile = args.input === undefined ? DEFAULT_INPUT : userPath(args.input as string);
        const inputShown = args.input === undefined ? path.relative(ROOT, DEFAULT_INPUT) : (args.input as string);
        // A JSON Lines file is read by reference, from the local S3 API; anything else is the workflow's input. A redrive's is the execution's own.
        const jsonLines = first === undefined && inputFile.endsWith(".jsonl");
        let input: Json = first !== undefined ? first.input : jsonLines ? {} : readInput(inputFile, inputShown);
        const stateOut = args["state-out"] === undefined ? undefined : userPath(args["state-out"] as string);
        if (stateOut !== undefined && !fs.existsSync(path.dirname(stateOut))) throw new InputError(`--state-out ${args["state-out"] as string}: there is no directory ${shownPath(path.dirname(stateOut))}`);
        const policyConfigFile = args["policy-pack-config"] as string | undefined;
        const policyConfig = policyConfigFile === undefined ? undefined : readPolicyConfig(userPath(policyConfigFile), policyConfigFile);
        const workflow = args.workflow as string | undefined;
        const run = await prepareStack(stack, {}, { dir: args.cwd === undefined ? ROOT : userPath(args.cwd as string), workflow });
        if (saved !== undefined && saved.workflow !== run.workflow) throw new UsageError(`--redrive ${redrive}: the execution ran workflow ${saved.workflow}, not ${run.workflow}; pick it with --workflow ${saved.workflow}`);

        // The same command with the same stack, project and workflow: what the lines that tell how to go on print.
        const same = [`--stack ${stack}`, ...(args.cwd === undefined ? [] : [`--cwd ${args.cwd as string}`]), ...(workflow === undefined ? [] : [`--workflow ${workflow}`])].join(" ");
        let finished = 0;
        let total: number | undefined;
        const onEvent = (e: LocalEvent) => {
            if (args.trace) process.stderr.write(`${e.type.padEnd(7)} ${e.state}${e.error ? ` ${e.error.Error}` : ""}\n`);
            if (e.type === "exited" && JOB_FINISHED.includes(e.state)) {
                finished++;
                if (!json) say(`job ${finished}/${total ?? "?"} done`);
            }
        };
        // The stack's definition and handlers as they are now: for a redrive, the user's fixed code.
        const service = new LocalStepFunctions({ definition: run.definition, handlers: run.handlers, type: run.type, onEvent, stateMachineArn: run.stateMachineArn });
        if (saved !== undefined) loadForRedrive(service, saved, `--redrive ${redrive}`, stack, same);

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
        // kept in the user's directory so that a kept state can resume and a failed run be redriven.
        let s3: LocalS3 | undefined;
        if (jsonLines || readsByReference(input)) {
            const store = storeOf(run.definition);
            s3 = await startStore(store, path.join(userDir(), LOCAL_S3_DIRECTORY), stack);
            if (jsonLines) ({ input, jobs: total } = await uploadJobs(inputFile, inputShown, store!, s3));
        } else if (first !== undefined) {
            const kept = progressOf(service.report(first.arn, 0).lastInput);
            total = kept.jobs - kept.done;
        } else {
            total = (input as { jobs: Job[] }).jobs.filter((j) => j.done !== true).length;
        }
        const named = run.synth.workflows.length > 1 ? ` workflow ${run.workflow}` : "";
        const todo = `${total ?? "the rest of the"} job(s) to do${s3 ? ", read by reference from a local S3 API" : ""}`;
        if (first === undefined) say(`running stack ${stack}${named} locally on ${inputShown} (${todo})`);
        else say(`redriving execution ${first.name} of stack ${stack}${named} locally from state ${first.redriveFrom} (redrive ${first.redriveCount + 1}; ${todo})`);
        let report: RunReport;
        let record: ExecutionRecord;
        try {
            const started = Date.now();
            record = first !== undefined ? await service.redrive(first.arn) : await service.start(input, newExecutionName(executionsDir, stack));
            report = service.report(record.arn, Date.now() - started);
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
            // A redriven execution that succeeded is kept as such: redriving it again is refused, as in AWS.
            if (saved !== undefined) saveRun(executionsDir, { ...saved, executions: service.save(record.arn) });
            if (json) process.stdout.write(`${JSON.stringify(report.output)}\n`);
            else if (s3 === undefined) say(`\n${table((report.output as { jobs: Job[] }).jobs, resultKeys)}\n`);
            else say(`\n${JSON.stringify(report.output, null, 2)}\n`);
            say(figures(report, s3));
            return EXIT.success;
        }
        say(`\nthe workflow FAILED in state ${report.failedState ?? "?"}`);
        say(`error: ${report.error?.Error}`);
        say(`cause: ${report.error?.Cause ?? ""}`);
        // Above a failed hand-over the error is States.TaskFailed with the child's description as cause: name the failure itself.
        const origin = service.failureOrigin(record.arn);
        if (origin !== record) say(`first failed: execution ${origin.name} (started by hand-over) in state ${origin.failedState ?? "?"}, error ${origin.error?.Error}: ${origin.error?.Cause ?? ""}`);
        say(figures(report, s3));
        let keptState: string | undefined;
        if (report.lastInput !== undefined) {
            const { done, jobs } = progressOf(report.lastInput);
            keptState = keepState(report.lastInput, stack, stateOut);
            const file = shownPath(keptState);
            process.stderr.write(`state kept in ${file} (${done} job(s) done, ${jobs - done} to do)\n`);
            say(`to resume: npm start -- ${same} --input ${file}`);
        }
        const executions = service.save(record.arn);
        for (const line of alarmsSetOff(run.synth.resources, run.stateMachineArn, executions.map((e) => e.status))) process.stderr.write(`${line}\n`);
        const savedFile = saveRun(executionsDir, { stack, workflow: run.workflow, keptState, executions });
        process.stderr.write(`executions saved in ${shownPath(savedFile)}\n`);
        // A redrive enters the failed state again: from a Fail state it fails the same way, so it is not offered.
        const status = service.redriveStatus(record.arn);
        const where = origin === record ? "the execution" : `execution ${origin.name}, which a hand-over started,`;
        if (!status.redrivable) process.stderr.write(`no redrive: ${status.reason}\n`);
        else if (run.definition.States[origin.redriveFrom!]?.Type === "Fail") process.stderr.write(`no redrive: ${where} failed in Fail state ${origin.redriveFrom}, which a redrive enters again and fails the same way; start a new execution from the kept state\n`);
        else say(`to redrive: npm start -- ${same} --redrive ${record.name}`);
        return EXIT.workflowFailed;
    },
    [
        [PolicyConfigError, EXIT.badInput],
        [PolicyViolationError, EXIT.policyBlocked],
        [NotRedrivableError, EXIT.notRedrivable],
    ],
);
