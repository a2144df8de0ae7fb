// The errors the local commands end with, and the exit code each means, so that a script can tell
// "fix how you called it" from "fix the input or config", a policy block, a failed workflow and a bug.

/** Documented in the README; 0 is success. */
export const EXIT = {
    success: 0,
    /** The workflow ran and ended FAILED (its state is kept). */
    workflowFailed: 1,
    /** An unknown option, a missing value, a --workflow the program does not register. */
    usage: 2,
    /** The input file, the stack config, the policy-pack config, or the program itself. */
    badInput: 3,
    /** The policy pack reports a mandatory violation. */
    policyBlocked: 4,
    /** Anything else, including a command that stopped without an outcome. */
    unexpected: 5,
    /**
     * `--redrive`: the execution cannot be redriven (it succeeded, reached the history limit, or ran
     * another definition); its kept state can start a new execution.
     */
    notRedrivable: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UsageError extends Error {}

/** The workflow input given with --input (or kept from a failed run) cannot be run. */
export class InputError extends Error {}

/** The stack's config (Pulumi.<stack>.yaml), or the stack itself, is wrong. */
export class StackError extends Error {}

/** The Pulumi program cannot be found or run as the Pulumi CLI would run it. */
export class ProgramError extends Error {}

/** A saved execution that RedriveExecution would refuse, or that ran another definition. */
export class NotRedrivableError extends Error {}
