// What every command-line entry point shares: argument parsing and the one-line error contract.
import { parseArgs, type ParseArgsConfig } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { StackError } from "./synth";

export class UsageError extends Error {}

export function parseCli<T extends NonNullable<ParseArgsConfig["options"]>>(options: T, usage: string) {
    try {
        return parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
    } catch (err) {
        throw new UsageError(`${(err as Error).message.split("\n")[0]}; ${usage}`);
    }
}

/** Runs a command; expected failures end as one `error:` line and exit code 1 (2 for usage), never a stack trace. */
export function main(run: () => Promise<number | void>, expectedErrors: (abstract new (...args: never[]) => Error)[] = []): void {
    run().then(
        (code) => process.exit(code ?? 0),
        (err: unknown) => {
            const expected = [UsageError, StackError, ...expectedErrors].some((E) => err instanceof E) || pulumi.RunError.isInstance(err);
            const message = err instanceof Error ? err.message : String(err);
            process.stderr.write(`error: ${expected ? message : `unexpected failure: ${message}`}\n`);
            if (!expected && process.env.DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
            process.exit(err instanceof UsageError ? 2 : 1);
        },
    );
}
