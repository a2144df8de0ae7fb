// The main job, locally: synthesize a stack under the mock engine, take the definition and the
// MoveToEnd archive it would deploy, and execute them with local handlers for every Task.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StateMachineDefinition } from "../components/definition";
import type { Json } from "../components/steps";
import { validateState } from "../functions/moveToEnd";
import { asLambda, runLocally, type LocalEvent, type RunReport, type TaskHandler } from "./execute";
import { moveToEndHandlers, runsItself } from "./handlers";
import { LOCAL_HANDLERS_KEY } from "../components/stackConfig";
import { eachState } from "../policies/asl";
import { archiveFile, readStackConfig, StackError, synthesize, type Synthesis } from "./synth";

const ROOT = path.join(__dirname, "..");
export const DEFAULT_INPUT = path.join("examples", "jobs.json");

export class InputError extends Error {}

/** Reads and checks the workflow input the way the workflow itself would, before anything runs. */
export function readInput(file: string): Json {
    const full = path.resolve(file);
    if (!fs.existsSync(full)) throw new InputError(`input file ${file} does not exist`);
    let input: Json;
    try {
        input = JSON.parse(fs.readFileSync(full, "utf8"));
    } catch (err) {
        throw new InputError(`input file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    try {
        validateState(input);
    } catch (err) {
        throw new InputError(`input file ${file}: ${(err as Error).message}`);
    }
    return input;
}

export interface StackRun {
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

/** The echo that replaces a step with no local code: the job comes back as the step's result. */
const echo: TaskHandler = async (job) => job;

function loadLocalHandler(spec: string, step: string): TaskHandler {
    const [file, name = "handler"] = spec.split("#");
    const full = path.resolve(ROOT, file);
    if (!fs.existsSync(full)) throw new StackError(`config ${LOCAL_HANDLERS_KEY}.${step}: ${file} does not exist`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fn = require(full)[name];
    if (typeof fn !== "function") throw new StackError(`config ${LOCAL_HANDLERS_KEY}.${step}: ${file} exports no function "${name}"`);
    return asLambda(fn);
}

/** Synthesizes the stack and prepares what executing it locally needs. */
export async function prepareStack(stack: string, overrides: Record<string, string> = {}): Promise<StackRun> {
    const config = { ...readStackConfig(stack), ...overrides };
    const { [LOCAL_HANDLERS_KEY]: localRaw, ...programConfig } = config;
    const synth = await synthesize(programConfig, stack);
    const machine = synth.resources.find((r) => r.type === "aws:sfn/stateMachine:StateMachine");
    const fn = synth.resources.find((r) => r.type === "aws:lambda/function:Function" && r.name.endsWith("-move-to-end"));
    if (!machine) throw new StackError(`stack ${stack} registers no IteratorWorkflow state machine`);
    const definition = JSON.parse(machine.inputs.definition as string) as StateMachineDefinition;
    // The iterator strategy's own tasks run the archive it deploys; a Map has none.
    const handlers = fn ? moveToEndHandlers(await archiveFile(fn.inputs.code, "index.js")) : {};

    let local: Record<string, string> = {};
    if (localRaw !== undefined) {
        try {
            local = JSON.parse(localRaw);
        } catch {
            throw new StackError(`config ${LOCAL_HANDLERS_KEY}: must be a map of step name to "file#export"`);
        }
    }
    const standIns: string[] = [];
    for (const { name, state } of eachState(definition)) {
        if (state.Type !== "Task" || name in handlers || runsItself(state as Record<string, Json>)) continue;
        if (local[name] !== undefined) {
            handlers[name] = loadLocalHandler(local[name], name);
        } else {
            handlers[name] = echo;
            standIns.push(`step ${name} (${String(state.Resource)}) has no local handler: a stand-in returns the job as its result`);
        }
    }
    for (const step of Object.keys(local)) {
        if (![...eachState(definition)].some((found) => found.name === step)) throw new StackError(`config ${LOCAL_HANDLERS_KEY}.${step}: there is no step of that name`);
    }
    return { definition, type: (machine.inputs.type as "STANDARD" | "EXPRESS") ?? "STANDARD", handlers, standIns, config, synth, stateMachineArn: machine.state.arn as string };
}

export async function executeStack(run: StackRun, input: Json, onEvent?: (e: LocalEvent) => void): Promise<RunReport> {
    return runLocally({ definition: run.definition, input, handlers: run.handlers, type: run.type, onEvent, stateMachineArn: run.stateMachineArn });
}
