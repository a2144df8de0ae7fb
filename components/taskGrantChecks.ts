// At construction: a task step whose target the component cannot grant (chosen at run time, or scoped
// by no ARN) must declare the grant in its policyStatements; a target written wrong is named. Values
// still being Pulumi Inputs are left to the policy pack, which sees them once they are known.
import { allowsService, granted, type IamStatement } from "./iamPatterns";
import { taskGrants } from "./integrations";

export interface GrantProblem {
    /** Where, under the step: `policyStatements` or `parameters.<key>`. */
    field: string;
    problem: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
/** Plain JSON all through: no Pulumi Output, promise or resource, whose value comes later. */
const plain = (v: unknown): boolean => v === null || ["string", "number", "boolean"].includes(typeof v) || (Array.isArray(v) ? v.every(plain) : isObject(v) && Object.values(v).every(plain));

/** The first thing wrong with the grants a task step needs, or undefined. */
export function taskGrantProblem(step: { resource?: unknown; parameters?: unknown; policyStatements?: unknown }): GrantProblem | undefined {
    if (typeof step.resource !== "string" || (step.parameters !== undefined && !isObject(step.parameters))) return undefined;
    const grants = taskGrants(step.resource, step.parameters, { region: "<region>", account: "<account>" });
    if (grants === undefined) return undefined;
    const declared = (Array.isArray(step.policyStatements) ? step.policyStatements : [])
        .filter(isObject)
        .map((s) => ({ ...s, Effect: s.Effect ?? "Allow" }) as IamStatement);
    for (const need of grants.needs) {
        const t = need.target;
        switch (t.kind) {
            case "arns":
                continue;
            case "invalid":
                // A value known only at deploy (an Output) is checked by the policy pack then.
                if (!plain((step.parameters as Record<string, unknown>)[t.key])) continue;
                return { field: `parameters.${t.key}`, problem: t.problem };
            case "unknown": {
                const missing = need.actions.filter((action) => (grants.guessedAction ? !declared.some((s) => s.Effect === "Allow" && allowsService(s, action.split(":")[0])) : !granted(declared, action)));
                if (missing.length === 0) continue;
                const add = JSON.stringify({ Action: missing.length === 1 ? missing[0] : missing, Resource: t.shape });
                const because = `${grants.integration}: ${t.why}, so the component cannot name it`;
                if (declared.length === 0) return { field: "policyStatements", problem: `is required: ${because}; declare ${add} for each it may be` };
                return { field: "policyStatements", problem: `grant no ${missing.join(", ")}, which ${because}; add ${add} for each it may be` };
            }
            default:
                return assertNever(t);
        }
    }
    return undefined;
}

function assertNever(value: never): never {
    throw new Error(`unexpected target ${JSON.stringify(value)}`);
}
