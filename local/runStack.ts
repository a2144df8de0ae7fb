// The main job, locally: synthesize a stack under the mock engine, take the definition and the
// MoveToEnd archive it would deploy, and execute them with local handlers for every Task.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StateMachineDefinition } from "../components/definition";
import { LOCAL_HANDLERS_KEY } from "../components/stackConfig";
import type { Json } from "../components/steps";
import { STEP_FUNCTIONS_PAYLOAD_LIMIT, validateState } from "../functions/moveToEnd";
import { eachState } from "../policies/asl";
import { InputError, StackError } from "./errors";
import { asLambda, runLocally, type LocalEvent, type RunReport, type TaskHandler } from "./execute";
import { moveToEndHandlers, runsItself } from "./handlers";
import { findProject } from "./program";
import { archiveFiles, readStackConfig, ROOT, selectWorkflow, synthesize, type Synthesis, type SynthWorkflow } from "./synth";

export { InputError } from "./errors";

export const DEFAULT_INPUT = path.join(ROOT, "examples", "jobs.json");

/**
 * How deep the workflow input may nest, counting its own object as 1 (`{"jobs": [{}]}` is 3).
 * The local executor overflows its stack a little past 2,000 levels and then never settles; half
 * of that leaves room for the steps' own nesting. AWS documents no depth limit.
 */
export const MAX_INPUT_DEPTH = 1_000;

/**
 * How long a Task may run locally when its definition sets no TimeoutSeconds. AWS would wait up to
 * 99,999,999 seconds; the Amazon States Language's own default is 60 (https://states-language.net/#task-state).
 */
export const LOCAL_TASK_TIMEOUT_SECONDS = 60;

/** The deepest nesting of arrays and objects in JSON text, read without recursion; stops past `limit`. */
function nesting(text: string, limit: number): { depth: number; at: number } {
    let depth = 0;
    let deepest = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (c === "\\") i++;
            else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === "{" || c === "[") {
            deepest = Math.max(deepest, ++depth);
            if (depth > limit) return { depth, at: i };
        } else if (c === "}" || c === "]") depth--;
    }
    return { depth: deepest, at: -1 };
}

/**
 * Reads and checks the workflow input the way the workflow, and StartExecution before it, would,
 * before anything runs. `shown` is the name to use in messages.
 */
export function readInput(file: string, shown = file): Json {
    const full = path.resolve(file);
    if (!fs.existsSync(full)) throw new InputError(`input file ${shown} does not exist`);
    const text = fs.readFileSync(full, "utf8");
    const deep = nesting(text, MAX_INPUT_DEPTH);
    if (deep.depth > MAX_INPUT_DEPTH) throw new InputError(`input file ${shown}: nested more than ${MAX_INPUT_DEPTH.toLocaleString("en-US")} levels deep (at character ${deep.at + 1}); the local run takes at most ${MAX_INPUT_DEPTH.toLocaleString("en-US")}`);
    let input: Json;
    try {
        input = JSON.parse(text);
    } catch (err) {
        throw new InputError(`input file ${shown} is not valid JSON: ${(err as Error).message}`);
    }
    // StartExecution refuses an input over the payload limit (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    const bytes = Buffer.byteLength(JSON.stringify(input), "utf8");
    if (bytes > STEP_FUNCTIONS_PAYLOAD_LIMIT) {
        throw new InputError(`input file ${shown}: ${bytes.toLocaleString("en-US")} bytes as compact JSON, over the ${STEP_FUNCTIONS_PAYLOAD_LIMIT.toLocaleString("en-US")} bytes StartExecution accepts`);
    }
    try {
        validateState(input);
    } catch (err) {
        throw new InputError(`input file ${shown}: ${(err as Error).message}`);
    }
    return input;
}

export interface StackRun {
    /** The workflow's name in the program (its IteratorWorkflow resource name). */
    workflow: string;
    definition: StateMachineDefinition;
    type: "STANDARD" | "EXPRESS";
    handlers: Record<string, TaskHandler>;
    /** One line per Task that runs a stand-in instead of real code. */
    standIns: string[];
    config: Record<string, string>;
    /** Every resource the program registered, for the policy pack. */
    synth: Synthesis;
    stateMachineArn: string;
}

export interface PrepareOptions {
    /** A directory at or below the project (Pulumi.yaml); this repository by default. */
    dir?: string;
    /** Which IteratorWorkflow, when the program has several. */
    workflow?: string;
    /** The timeout for Tasks whose definition sets none; LOCAL_TASK_TIMEOUT_SECONDS by default. */
    taskTimeoutSeconds?: number;
}

/** The echo that replaces a step with no local code: the job comes back as the step's result. */
const echo: TaskHandler = async (job) => job;

/** A `file#export` entry of localHandlers: a .ts or .js module inside the project, and a function it exports. */
function loadLocalHandler(spec: unknown, step: string, projectDir: string): TaskHandler {
    const key = `config ${LOCAL_HANDLERS_KEY}.${step}`;
    if (typeof spec !== "string") throw new StackError(`${key}: must be "path/to/module.ts#export", got ${JSON.stringify(spec)}`);
    const [file, name = "handler", ...rest] = spec.split("#");
    if (rest.length > 0 || !/^[A-Za-z_$][\w$]*$/.test(name)) throw new StackError(`${key}: "${spec}" must be "path/to/module.ts#export", one export name after one #`);
    const inside = (p: string, root: string) => {
        const relative = path.relative(root, p);
        return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
    };
    const full = path.resolve(projectDir, file);
    const outside = () => new StackError(`${key}: ${file} must be a .ts or .js module inside the project, as a path from its directory`);
    if (!/\.(ts|js)$/.test(file) || path.isAbsolute(file) || !inside(full, projectDir)) throw outside();
    if (!fs.existsSync(full)) throw new StackError(`${key}: ${file} does not exist`);
    // A link may lead out of the project: what it leads to must be inside too.
    if (!inside(fs.realpathSync(full), fs.realpathSync(projectDir))) throw outside();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fn = require(full)[name];
    if (typeof fn !== "function") throw new StackError(`${key}: ${file} exports no function "${name}"`);
    return asLambda(async (input) => {
        const result = await fn(input);
        // A Lambda function that returns nothing gives Step Functions null.
        return result === undefined ? null : result;
    });
}

/**
 * Fails a Task that runs past its TimeoutSeconds with States.Timeout, as AWS does, instead of
 * waiting for a handler that never returns. (Code that never yields, a busy loop, cannot be
 * interrupted in this process.)
 */
function withTimeout(handler: TaskHandler, seconds: number, state: string): TaskHandler {
    return (input) =>
        new Promise<Json>((resolve, reject) => {
            const timer = setTimeout(() => {
                const err = new Error(`local: Task ${state} did not finish within its ${seconds} s timeout`);
                err.name = "States.Timeout";
                reject(err);
            }, seconds * 1000);
            handler(input).then(
                (value) => (clearTimeout(timer), resolve(value)),
                (err) => (clearTimeout(timer), reject(err)),
            );
        });
}

function localHandlerSpecs(raw: string | undefined): Record<string, unknown> {
    if (raw === undefined) return {};
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new StackError(`config ${LOCAL_HANDLERS_KEY}: must be a map of step name to "path/to/module.ts#export"`);
    return parsed as Record<string, unknown>;
}

/** Synthesizes the stack and prepares what executing one of its workflows locally needs. */
export async function prepareStack(stack: string, overrides: Record<string, string> = {}, options: PrepareOptions = {}): Promise<StackRun> {
    const dir = options.dir ?? ROOT;
    const projectDir = findProject(dir).dir;
    const config = { ...readStackConfig(stack, dir), ...overrides };
    const { [LOCAL_HANDLERS_KEY]: localRaw, ...programConfig } = config;
    const local = localHandlerSpecs(localRaw);
    const synth = await synthesize(programConfig, stack, { dir });
    const workflow: SynthWorkflow = selectWorkflow(synth, options.workflow, stack);
    const machine = workflow.stateMachine;
    const definition = JSON.parse(machine.inputs.definition as string) as StateMachineDefinition;
    // The iterator strategy's own tasks run the archive it deploys; a Map has none.
    const handlers = workflow.moveToEndFunction ? moveToEndHandlers(await archiveFiles(workflow.moveToEndFunction.inputs.code)) : {};

    const states = [...eachState(definition)];
    for (const step of Object.keys(local)) {
        if (!states.some((found) => found.name === step)) throw new StackError(`config ${LOCAL_HANDLERS_KEY}.${step}: there is no step of that name`);
    }
    const standIns: string[] = [];
    for (const { name, state } of states) {
        if (state.Type !== "Task" || name in handlers || runsItself(state as Record<string, Json>)) continue;
        if (local[name] !== undefined) {
            handlers[name] = loadLocalHandler(local[name], name, projectDir);
        } else {
            handlers[name] = echo;
            standIns.push(`step ${name} (${String(state.Resource)}) has no local handler: a stand-in returns the job as its result`);
        }
    }
    const defaultTimeout = options.taskTimeoutSeconds ?? LOCAL_TASK_TIMEOUT_SECONDS;
    for (const { name, state } of states) {
        if (!(name in handlers)) continue;
        const { TimeoutSeconds: own, TimeoutSecondsPath: fromInput } = state as { TimeoutSeconds?: unknown; TimeoutSecondsPath?: unknown };
        // A timeout read from the input is known only when the Task runs: the executor applies it.
        if (fromInput !== undefined) continue;
        handlers[name] = withTimeout(handlers[name], typeof own === "number" ? own : defaultTimeout, name);
    }
    return {
        workflow: workflow.name,
        definition,
        type: (machine.inputs.type as "STANDARD" | "EXPRESS") ?? "STANDARD",
        handlers,
        standIns,
        config,
        synth,
        stateMachineArn: machine.state.arn as string,
    };
}

export async function executeStack(run: StackRun, input: Json, onEvent?: (e: LocalEvent) => void): Promise<RunReport> {
    return runLocally({ definition: run.definition, input, handlers: run.handlers, type: run.type, onEvent, stateMachineArn: run.stateMachineArn });
}
