// What every command-line entry point shares: argument parsing, paths as the user typed them, and
// the contract: one `error:` line and a documented exit code (errors.ts), never a stack trace, and
// never an exit before everything written to stdout and stderr has been taken by the reader.
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { EXIT, InputError, ProgramError, StackError, UsageError, type ExitCode } from "./errors";

export { EXIT, UsageError } from "./errors";

export function parseCli<T extends NonNullable<ParseArgsConfig["options"]>>(options: T, usage: string) {
    try {
        return parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
    } catch (err) {
        throw new UsageError(`${(err as Error).message.split("\n")[0]}; ${usage}`);
    }
}

/**
 * The directory the user ran the command in: npm runs scripts in the package root and says where
 * it was started in INIT_CWD (https://docs.npmjs.com/cli/commands/npm-run-script).
 */
export function userDir(): string {
    return process.env.INIT_CWD ?? process.cwd();
}

/** A path the user gave on the command line, as they meant it: from the directory they ran the command in. */
export function userPath(file: string): string {
    return path.resolve(userDir(), file);
}

/** A path to show the user: relative to where they are when it is below it, else absolute. */
export function shownPath(full: string): string {
    const relative = path.relative(userDir(), full);
    return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : full;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The errors every command may end with, and what they mean to a script. */
const COMMON_ERRORS: [ErrorClass, ExitCode][] = [
    [UsageError, EXIT.usage],
    [InputError, EXIT.badInput],
    [StackError, EXIT.badInput],
    [ProgramError, EXIT.badInput],
];

function exitCodeOf(err: unknown, expected: [ErrorClass, ExitCode][]): ExitCode | undefined {
    // A RunError is Pulumi's error meant for the user, e.g. the program refusing a config value.
    if (pulumi.RunError.isInstance(err)) return EXIT.badInput;
    return [...COMMON_ERRORS, ...expected].find(([E]) => err instanceof E)?.[1];
}

/** Resolves once everything written to the stream so far has been handed to the reader (or the reader is gone). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
    return new Promise((resolve) => {
        if (stream.destroyed || !stream.writable) return resolve();
        // Writes complete in order: this empty one's callback comes after every earlier one's.
        stream.write("", () => resolve());
    });
}

/**
 * Runs a command. Its outcome is its return value (an exit code, 0 by default) or the error it
 * throws: an expected one is one `error:` line with its code, anything else
 * `error: unexpected failure: ...` with EXIT.unexpected (the stack trace only with DEBUG set).
 * A command whose work never finishes (a promise that never settles, so that the event loop runs
 * empty) ends the same way instead of exiting 0 in silence.
 */
export function main(run: () => Promise<number | void>, expected: [ErrorClass, ExitCode][] = []): void {
    let outcome: number | undefined;
    const finish = (code: number) => {
        if (outcome !== undefined) return;
        outcome = code;
        // Exiting at once would drop what a slow reader has not taken yet: a pipe holds 64 KiB.
        void Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => process.exit(code));
    };
    const fail = (err: unknown) => {
        if (outcome !== undefined) return;
        const code = exitCodeOf(err, expected);
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`error: ${code === undefined ? `unexpected failure: ${message.split("\n")[0]}` : message}\n`);
        if (code === undefined && process.env.DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
        finish(code ?? EXIT.unexpected);
    };
    // A reader that goes away early (`| head`) is not a failure of the command.
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
    process.on("uncaughtException", fail);
    process.on("unhandledRejection", fail);
    process.on("beforeExit", () => {
        if (outcome === undefined) fail(new Error("the command stopped without an outcome: its work never finished (a promise that never settles)"));
    });
    run().then((code) => finish(code ?? EXIT.success), fail);
}
