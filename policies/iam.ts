// The state machine role's right to invoke Lambda functions: exact ARNs, never a wildcard. The seed
// pattern granted lambda:InvokeFunction on "*", which lets a workflow call any function in the account.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { STATE_MACHINE } from "./asl";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POLICY = "aws:iam/policy:Policy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/** AWS managed policies that allow lambda:InvokeFunction on every function. */
export const BROAD_MANAGED_POLICIES = ["arn:aws:iam::aws:policy/service-role/AWSLambdaRole", "arn:aws:iam::aws:policy/AWSLambda_FullAccess"];

interface Statement {
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function documentOf(policy: unknown): { Statement?: Statement | Statement[] } | undefined {
    if (typeof policy === "string") {
        try {
            return JSON.parse(policy);
        } catch {
            return undefined; // Not ours to judge: AWS rejects an invalid document at deploy time.
        }
    }
    return typeof policy === "object" && policy !== null ? (policy as { Statement?: Statement[] }) : undefined;
}

/** IAM's wildcards in an action pattern: `*` any run of characters, `?` one; case does not matter. */
function actionCovers(pattern: string, action: string): boolean {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    return regex.test(action);
}

/** Why the document's invoke grants are too broad, one sentence each; empty when every grant names exact ARNs. */
export function broadInvokeGrants(policy: unknown): string[] {
    const problems: string[] = [];
    for (const s of list(documentOf(policy)?.Statement)) {
        if (s.Effect !== "Allow") continue;
        const allows = s.NotAction !== undefined ? !list(s.NotAction).some((a) => actionCovers(a, "lambda:InvokeFunction")) : list(s.Action).some((a) => actionCovers(a, "lambda:InvokeFunction"));
        if (!allows) continue;
        if (s.NotResource !== undefined) problems.push(`it allows lambda:InvokeFunction on every resource but ${JSON.stringify(s.NotResource)}`);
        const wild = list(s.Resource).filter((r) => /[*?]/.test(r));
        if (wild.length > 0) problems.push(`it allows lambda:InvokeFunction on ${wild.map((r) => JSON.stringify(r)).join(", ")}`);
    }
    return problems;
}

function trustsStepFunctions(role: PolicyResource): boolean {
    const doc = documentOf(role.props.assumeRolePolicy) as { Statement?: { Principal?: { Service?: string | string[] } }[] } | undefined;
    return list(doc?.Statement).some((s) => list(s.Principal?.Service).some((svc) => /^states(\.[a-z0-9-]+)?\.amazonaws\.com$/.test(svc)));
}

/** Whether `resource.props[prop]` refers to `role`: through the engine's dependencies, or, for a plain name or ARN, by value. */
function refersTo(resource: PolicyResource, prop: string, role: PolicyResource): boolean {
    const deps = resource.propertyDependencies?.[prop] ?? [];
    if (deps.length > 0) return deps.some((d) => d.urn === role.urn);
    const value = resource.props[prop];
    return typeof value === "string" && (value === role.props.name || value === role.props.arn);
}

const REMEDY = "name the exact function ARNs the state machine invokes (an alias or version ARN if it invokes one)";

export const invokeScope: StackValidationPolicy = {
    name: "step-functions-invoke-scope",
    description: "A state machine's role grants lambda:InvokeFunction only on exact function ARNs, never on a wildcard.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `In the role's policy, ${REMEDY}; IteratorWorkflow does this for its own role.`,
    validateStack: (args, reportViolation) => {
        const machines = args.resources.filter((r) => r.type === STATE_MACHINE);
        const roles = args.resources.filter((r) => r.type === ROLE && (trustsStepFunctions(r) || machines.some((m) => refersTo(m, "roleArn", r))));
        const report = (where: PolicyResource, role: PolicyResource, problem: string) => reportViolation(`${where.type === ROLE ? "role" : where.type.split(":").pop()} ${where.name} of state machine role ${role.name}: ${problem}; ${REMEDY}`, where.urn);

        for (const role of roles) {
            for (const inline of list(role.props.inlinePolicies as { policy?: unknown }[] | undefined)) {
                for (const problem of broadInvokeGrants(inline.policy)) report(role, role, problem);
            }
            for (const arn of list(role.props.managedPolicyArns as string[] | undefined).filter((a) => BROAD_MANAGED_POLICIES.includes(a))) {
                report(role, role, `the managed policy ${arn} allows lambda:InvokeFunction on "*"`);
            }
            for (const rp of args.resources.filter((r) => r.type === ROLE_POLICY && refersTo(r, "role", role))) {
                for (const problem of broadInvokeGrants(rp.props.policy)) report(rp, role, problem);
            }
            for (const attachment of args.resources.filter((r) => r.type === ATTACHMENT && refersTo(r, "role", role))) {
                const policyArn = attachment.props.policyArn;
                if (BROAD_MANAGED_POLICIES.includes(policyArn)) report(attachment, role, `the managed policy ${policyArn} allows lambda:InvokeFunction on "*"`);
                for (const policy of attachment.propertyDependencies?.policyArn?.filter((d) => d.type === POLICY) ?? []) {
                    for (const problem of broadInvokeGrants(policy.props.policy)) report(policy, role, problem);
                }
            }
        }
    },
};
