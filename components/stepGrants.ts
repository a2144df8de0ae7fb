// The state machine role's grants for what the task steps call: built from each step's integration and
// parameters with the table in integrations.ts, in the state machine's own region and account.
import * as pulumi from "@pulumi/pulumi";
import type { Statement } from "./iam";
import { grantStatements } from "./integrations";
import type { StepSpec } from "./steps";
import type { StepArgs } from "./types";

/**
 * The integration grants ahead of what the steps declared. A target chosen at run time gets nothing
 * here: validation makes its step declare it.
 */
export function withIntegrationGrants(steps: pulumi.Output<StepSpec[]>, declared: pulumi.Output<Statement[]>, region: pulumi.Output<string>, account: pulumi.Output<string>): pulumi.Output<Statement[]> {
    return pulumi.all([steps, declared, region, account]).apply(([resolved, own, regionName, accountId]) => {
        const derived = grantStatements(
            resolved.flatMap((s) => (s.kind === "task" ? [{ resource: s.resource, parameters: s.parameters }] : [])),
            { region: regionName, account: accountId },
        );
        // A declared statement the component grants anyway is left out rather than written twice.
        const have = new Set(derived.map(canonical));
        return [...derived, ...own.filter((s) => !have.has(canonical(s)))];
    });
}

const sorted = (v: string | string[]) => [v].flat().slice().sort();
const canonical = (s: { Effect?: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }) =>
    JSON.stringify([s.Effect ?? "Allow", sorted(s.Action), sorted(s.Resource), s.Condition ?? null]);

const isPlain = (v: unknown): boolean => typeof v !== "object" || v === null || ((Object.getPrototypeOf(v) === Object.prototype || Array.isArray(v)) && Object.values(v).every(isPlain));

/**
 * Whether a task step may get integration grants, decided before any Output is known: IAM refuses a
 * role policy without statements, so whether to create one must not wait for ARNs. A resource or
 * parameters still unknown count as yes.
 */
export function taskMayNeedGrants(step: StepArgs): boolean {
    if (step.kind !== "task") return false;
    if (typeof step.resource !== "string" || !isPlain(step.parameters)) return true;
    return grantStatements([{ resource: step.resource, parameters: step.parameters }], { region: "region", account: "account" }).length > 0;
}
