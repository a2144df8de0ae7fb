// The executions of failed `npm start` runs, kept in the user's directory so that
// `npm start -- --redrive NAME` can redrive them later, as `aws stepfunctions redrive-execution` does
// in AWS: one JSON file per first execution, named after it, holding it and every execution it
// started by hand-over, as the local service saved them.
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "./errors";
import type { ExecutionStatus, SavedExecution } from "./execute";

/** Below the user's directory, beside the local S3 API's objects. */
export const EXECUTIONS_DIRECTORY = path.join(".iterator-workflow", "executions");

const FORMAT = "iterator-workflow/executions@1";

export interface SavedRun {
    stack: string;
    /** The workflow's name in the program (its IteratorWorkflow resource name). */
    workflow: string;
    /** The kept state the failed run wrote: what to start a new execution from when a redrive cannot help. */
    keptState?: string;
    /** The first execution, then those it started by hand-over. */
    executions: SavedExecution[];
}

/** Execution names as this tool makes them, and as AWS allows them (API reference, StartExecution: name): safe as file names too. */
const NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:NAME */
const EXECUTION_ARN = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:([A-Za-z0-9_-]{1,80})$/;

const STATUSES: ExecutionStatus[] = ["RUNNING", "SUCCEEDED", "FAILED"];

const fileOf = (directory: string, name: string) => path.join(directory, `${name}.json`);

/**
 * A name for a new first execution: the stack, the time and this process, which no saved execution
 * has. It also names the run's results by reference, so two runs never share them.
 */
export function newExecutionName(directory: string, stack: string): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "Z");
    const base = `${stack.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40)}-${stamp}-${process.pid}`;
    for (let n = 0; ; n++) {
        const name = n === 0 ? base : `${base}-${n}`;
        if (!fs.existsSync(fileOf(directory, name))) return name;
    }
}

/** Writes (or, after a redrive, rewrites) the run's file, whole or not at all; returns its path. */
export function saveRun(directory: string, run: SavedRun): string {
    fs.mkdirSync(directory, { recursive: true });
    const file = fileOf(directory, run.executions[0].name);
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, `${JSON.stringify({ format: FORMAT, ...run })}\n`);
    fs.renameSync(partial, file);
    return file;
}

/** The problem with a saved file's content, or undefined when it is a saved run this version reads. */
function problemOf(doc: unknown): string | undefined {
    const run = doc as Partial<SavedRun> & { format?: unknown };
    if (typeof doc !== "object" || doc === null || run.format !== FORMAT) return `not a file of saved executions (format ${FORMAT})`;
    if (typeof run.stack !== "string" || typeof run.workflow !== "string") return "stack and workflow must be strings";
    if (!Array.isArray(run.executions) || run.executions.length === 0) return "executions must be a list of at least one execution";
    for (const [i, e] of run.executions.entries()) {
        const where = `executions[${i}]`;
        if (typeof e !== "object" || e === null) return `${where} must be an object`;
        if (typeof e.arn !== "string" || typeof e.name !== "string" || !NAME.test(e.name)) return `${where}: arn and name must be an execution's`;
        if (!STATUSES.includes(e.status)) return `${where}.status must be one of ${STATUSES.join(", ")}`;
        if (!Array.isArray(e.children) || !e.children.every((c) => typeof c === "string")) return `${where}.children must be a list of ARNs`;
        for (const key of ["redriveCount", "historyEvents", "transitions", "peakPayloadBytes"] as const) {
            if (typeof e[key] !== "number") return `${where}.${key} must be a number`;
        }
        if (typeof e.historyLimitReached !== "boolean" || typeof e.definitionDigest !== "string") return `${where}: historyLimitReached and definitionDigest are missing`;
    }
    return undefined;
}

function readRun(file: string, shown: string): SavedRun {
    let doc: unknown;
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new InputError(`${shown} is not valid JSON: ${(err as Error).message}`);
    }
    const problem = problemOf(doc);
    if (problem !== undefined) throw new InputError(`${shown}: ${problem}`);
    const { format: _format, ...run } = doc as SavedRun & { format: string };
    return run;
}

/**
 * The saved run whose first execution `given` names (its name, or its ARN). An unknown name, or an
 * execution a hand-over started (whose first execution is the one to redrive), is an input error.
 */
export function findRun(directory: string, given: string, shownDirectory: string): SavedRun {
    const fromArn = EXECUTION_ARN.exec(given)?.[1];
    const name = fromArn ?? given;
    if (!NAME.test(name)) throw new InputError(`--redrive ${given}: must be an execution's name (letters, digits, - and _, at most 80) or its ARN`);
    const file = fileOf(directory, name);
    if (fs.existsSync(file)) {
        const run = readRun(file, path.join(shownDirectory, path.basename(file)));
        if (fromArn === undefined || run.executions[0].arn === given) return run;
    }
    // The name of an execution a hand-over started: its chain is redriven from the first.
    const files = fs.existsSync(directory) ? fs.readdirSync(directory).filter((f) => f.endsWith(".json")) : [];
    for (const other of files) {
        let run: SavedRun;
        try {
            run = readRun(path.join(directory, other), other);
        } catch {
            continue;
        }
        if (run.executions.slice(1).some((e) => e.name === name || e.arn === given)) {
            throw new InputError(`--redrive ${given}: a hand-over of execution ${run.executions[0].name} started it; redrive that one, the first of the chain: it redrives ${name} from where it stopped`);
        }
    }
    throw new InputError(`--redrive ${given}: there is no saved execution of that ${fromArn === undefined ? "name" : "ARN"} in ${shownDirectory} (a failed npm start saves its executions there)`);
}
