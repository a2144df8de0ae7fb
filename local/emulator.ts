// aws-local-stepfunctions, with two faults fixed as it loads, where it would not do what AWS does:
// - Its Pass state takes `Result` only when the value is truthy: a step whose result is "", 0 or false
//   would store the whole state instead (AWS outputs Result whenever the field is there; developer
//   guide, "Pass state").
// - Its own hashing for States.Hash gives wrong digests for text of 56 bytes or more (an execution ARN,
//   say); Node's crypto computes the same digests AWS does.
// - A Task with no TimeoutSeconds times out after 60 seconds there; in AWS it waits up to 99,999,999
//   (developer guide, "Task state"), so a hand-over waiting on its new execution would fail locally
//   only. Node's timers take at most 2,147,483,647 ms (24.8 days), which stands in for AWS's default.
// And one change for speed alone: it copies every state's input with a recursive copy written in
// JavaScript, most of a run's time on a large state; a copy through JSON.stringify and JSON.parse, native code, gives the same copy.
// The fixes are made on the module's text, so nothing of the package on disk changes; if the package
// changes and a fault's text is not found once, loading fails and says so.
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";

const digest = (name: string, algorithm: string): [string, string] => [
    `return ${name}.getDigest(str);`,
    `return require("node:crypto").createHash("${algorithm}").update(str, "utf8").digest("hex");`,
];

/** Each fault's text, found exactly once, and what replaces it. */
const FIXES: [fault: string, fixed: string][] = [
    ["var DEFAULT_TIMEOUT_SECONDS = 60;", "var DEFAULT_TIMEOUT_SECONDS = 2147483;"],
    ["const timeoutId = setTimeout(() => rejectTimeout(new StatesTimeoutError()), timeoutMs);", "const timeoutId = setTimeout(() => rejectTimeout(new StatesTimeoutError()), Math.min(timeoutMs, 2147483647));"],
    ["function cloneJSON(value) {\n  if (value === null || typeof value !== \"object\") return value;", "function cloneJSON(value) {\n  if (value === null || typeof value !== \"object\") return value;\n  return JSON.parse(JSON.stringify(value));"],
    ["if (this.stateDefinition.Result) {", 'if ("Result" in this.stateDefinition) {'],
    digest("md5", "md5"),
    digest("sha1", "sha1"),
    digest("sha256", "sha256"),
    digest("sha384", "sha384"),
    digest("sha512", "sha512"),
    // Not a fault: its timeout error, exported, so that a local handler's timeout is the tool's own,
    // which a States.TaskFailed retrier or catcher does not match (as in AWS).
    ["var StatesTimeoutError = class extends RuntimeError {", "var StatesTimeoutError = module.exports.StatesTimeoutError = class extends RuntimeError {"],
];

function load(): typeof import("aws-local-stepfunctions") {
    const file = require.resolve("aws-local-stepfunctions");
    let source = fs.readFileSync(file, "utf8");
    for (const [fault, fixed] of FIXES) {
        if (source.split(fault).length !== 2) {
            throw new Error(`aws-local-stepfunctions changed: "${fault}" is not where local/emulator.ts fixes it; see whether the fix is still needed`);
        }
        source = source.replace(fault, fixed);
    }
    const loaded = new Module(file, module) as Module & { _compile(code: string, filename: string): void; paths: string[] };
    loaded.filename = file;
    loaded.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
    loaded._compile(source, file);
    return loaded.exports as typeof import("aws-local-stepfunctions");
}

const loaded = load() as ReturnType<typeof load> & { StatesTimeoutError: new () => Error };
export const { StateMachine, StatesTimeoutError } = loaded;
export type { StateMachineDefinition } from "aws-local-stepfunctions";
