// What every policy shares: its thresholds with their defaults, and the iterator workflow facts a
// state machine's tags record.
import type { PolicyConfigSchema, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { factsFromTags, TagError, type WorkflowFacts } from "./generated/workflowTags";
import { STATE_MACHINE } from "./asl";

/**
 * The policy's config with the schema's defaults filled in. The Pulumi engine fills them in too;
 * doing it here as well keeps the schema the one place a default is written.
 */
export function settingsOf<T extends object>(schema: PolicyConfigSchema, given: object): T {
    const defaults = Object.fromEntries(
        Object.entries(schema.properties)
            .filter(([, p]) => typeof p === "object" && p.default !== undefined)
            .map(([key, p]) => [key, (p as { default: unknown }).default]),
    );
    const { enforcementLevel: _level, ...own } = given as Record<string, unknown>;
    return { ...defaults, ...own } as T;
}

/**
 * The recorded facts when the resource is an iterator workflow's state machine, else undefined.
 * A tag edited into nonsense is reported rather than guessed at.
 */
export function workflowFacts(args: ResourceValidationArgs, reportViolation: ReportViolation): WorkflowFacts | undefined {
    if (args.type !== STATE_MACHINE) return undefined;
    try {
        return factsFromTags(args.props.tags);
    } catch (err) {
        if (!(err instanceof TagError)) throw err;
        reportViolation(err.message);
        return undefined;
    }
}

/** `12345` as `12,345`, as the README and AWS's docs write numbers. */
export const n = (value: number): string => value.toLocaleString("en-US");
