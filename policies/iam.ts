// The state machine role's right to invoke Lambda functions: exact ARNs, never a wildcard. The seed
// pattern granted lambda:InvokeFunction on "*", which lets a workflow call any function in the account.
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { STATE_MACHINE } from "./asl";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POLICY = "aws:iam/policy:Policy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const STACK = "pulumi:pulumi:Stack";

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

/** Whether a role's trust policy lets Step Functions (`states.amazonaws.com`, or a regional form) assume it. */
function trustsStepFunctions(assumeRolePolicy: unknown): boolean {
    const doc = documentOf(assumeRolePolicy) as { Statement?: { Principal?: { Service?: string | string[] } }[] } | undefined;
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

/** The managed policy ARN, in any partition, is one of AWS's own that allow invoking every function. */
const isBroadManaged = (arn: unknown): boolean => typeof arn === "string" && BROAD_MANAGED_POLICIES.includes(arn.replace(/^arn:[^:]+:/, "arn:aws:"));
const broadManaged = (arn: string) => `the managed policy ${arn} allows lambda:InvokeFunction on "*"`;

/** One violation's text, the same for the stack policy and the per-resource one. */
const violation = (type: string, name: string, roleName: string, problem: string) => `${type === ROLE ? "role" : type.split(":").pop()} ${name} of state machine role ${roleName}: ${problem}; ${REMEDY}`;

export const invokeScope: StackValidationPolicy = {
    name: "step-functions-invoke-scope",
    description: "A state machine's role grants lambda:InvokeFunction only on exact function ARNs, never on a wildcard.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `In the role's policy, ${REMEDY}; IteratorWorkflow does this for its own role.`,
    validateStack: (args, reportViolation) => {
        const machines = args.resources.filter((r) => r.type === STATE_MACHINE);
        const roles = args.resources.filter((r) => r.type === ROLE && (trustsStepFunctions(r.props.assumeRolePolicy) || machines.some((m) => refersTo(m, "roleArn", r))));
        const report = (where: PolicyResource, role: PolicyResource, problem: string) => reportViolation(violation(where.type, where.name, role.name, problem), where.urn);

        for (const role of roles) {
            for (const inline of list(role.props.inlinePolicies as { policy?: unknown }[] | undefined)) {
                for (const problem of broadInvokeGrants(inline.policy)) report(role, role, problem);
            }
            for (const arn of list(role.props.managedPolicyArns as string[] | undefined).filter(isBroadManaged)) report(role, role, broadManaged(arn));
            for (const rp of args.resources.filter((r) => r.type === ROLE_POLICY && refersTo(r, "role", role))) {
                for (const problem of broadInvokeGrants(rp.props.policy)) report(rp, role, problem);
            }
            for (const attachment of args.resources.filter((r) => r.type === ATTACHMENT && refersTo(r, "role", role))) {
                const policyArn = attachment.props.policyArn;
                if (isBroadManaged(policyArn)) report(attachment, role, broadManaged(policyArn));
                for (const policy of attachment.propertyDependencies?.policyArn?.filter((d) => d.type === POLICY) ?? []) {
                    for (const problem of broadInvokeGrants(policy.props.policy)) report(policy, role, problem);
                }
            }
        }
    },
};

/*
 * The same rule, checked resource by resource, before each one is created. The stack policy above runs
 * after `pulumi up` has created everything, and on a first preview the role policies' documents are
 * unknown (they name the MoveToEnd function's ARN); the engine analyzes each resource's inputs just
 * before it creates or updates it (after the provider's Check, so autonamed names are filled in), so a
 * mandatory violation here stops the grant from ever existing.
 *
 * An analyzer sees one resource at a time: its type, inputs, URN, name and options (AnalyzeRequest in
 * Pulumi's analyzer.proto), but not what its inputs depend on. How a grant is tied to a state machine role:
 * - a Role trusts Step Functions when its own assumeRolePolicy names states.amazonaws.com; its inline
 *   policies and managed policy ARNs are checked right there;
 * - a RolePolicy or RolePolicyAttachment names its role by name (`role`). The engine registers, and
 *   analyzes, a role before anything that takes its name or id as an Output (or depends on it), and
 *   the pack process lives for the whole preview or update, so the roles seen earlier in the run say
 *   whether that name is a state machine role's. During `pulumi up` the role exists by then and the
 *   name is known. A name this run has not seen (a role made elsewhere, or named by a literal string
 *   with nothing ordering it after the role) is not judged: nothing here says what that role trusts.
 * - an aws.iam.Policy says nothing of the roles it will be attached to: its grants are remembered, and
 *   judged at the RolePolicyAttachment or Role that attaches it (by path and name in the ARN).
 * The parent component is not used: a component may own roles for several services (IteratorWorkflow
 * owns MoveToEnd's Lambda role beside the state machine role), so a shared parent proves nothing.
 *
 * Unknown values (a first preview): a value of the resource itself that the verdict depends on is read
 * through CrossGuard's proxy, which ends the policy for that resource with its advisory "can't run
 * during preview" note; a value it does not depend on (the role of a policy that grants no wildcard)
 * is not read at all. When the verdict hangs on another resource's unknown value (a role whose trust
 * policy was unknown, a Policy whose document was), it stays silent: the stack policy, which sees
 * every resource with its dependencies, decides at the end of the preview. So an unknown value never
 * yields a mandatory violation.
 */

type Known<T> = { known: true; value: T } | { known: false; error: Error };

/** CrossGuard's proxy throws its UnknownValueError on reading a value not known yet. */
const isUnknownValue = (err: unknown): err is Error => err instanceof Error && err.constructor.name === "UnknownValueError";

/** Reads through the proxy, keeping an unknown value's error to throw only if the verdict needs the value. */
function peek<T>(read: () => T): Known<T> {
    try {
        return { known: true, value: read() };
    } catch (err) {
        if (isUnknownValue(err)) return { known: false, error: err };
        throw err;
    }
}

const knownString = (read: () => unknown): string | undefined => {
    const value = peek(read);
    return value.known && typeof value.value === "string" ? value.value : undefined;
};

interface SeenRole {
    resourceName: string;
    name?: string;
    namePrefix?: string;
    trustsStepFunctions: boolean | "unknown";
}

interface SeenPolicy {
    resourceName: string;
    name?: string;
    namePrefix?: string;
    path: string;
    grants: string[] | "unknown";
}

/**
 * What one preview or update has shown so far. A run starts with its root stack resource (the
 * engine registers `pulumi:pulumi:Stack` first, and local/policyRun.ts lists it first); a URN seen
 * twice or another stack's URN also means a new run. Forgetting can only miss a violation, never make one.
 */
class RunMemory {
    private run = "";
    private urns = new Set<string>();
    roles: SeenRole[] = [];
    policies: SeenPolicy[] = [];

    visit(type: string, urn: string): void {
        const run = urn.split("::").slice(0, 2).join("::");
        if (type === STACK || run !== this.run || this.urns.has(urn)) {
            this.run = run;
            this.urns = new Set();
            this.roles = [];
            this.policies = [];
        }
        this.urns.add(urn);
    }

    /** Whether the role a policy names (by name or ARN) trusts Step Functions; "unknown" when this run cannot tell. */
    trustOf(role: string): { trusts: boolean | "unknown"; resourceName?: string } {
        const name = role.startsWith("arn:") ? role.slice(role.lastIndexOf("/") + 1) : role;
        const exact = this.roles.filter((r) => r.name === name);
        const matches = exact.length > 0 ? exact : this.roles.filter((r) => r.name === undefined && r.namePrefix !== undefined && name.startsWith(r.namePrefix));
        if (matches.length === 0) return { trusts: false };
        if (matches.every((r) => r.trustsStepFunctions === true)) return { trusts: true, resourceName: matches[0].resourceName };
        return { trusts: matches.every((r) => r.trustsStepFunctions === false) ? false : "unknown" };
    }

    /** The broad grants of the policy a (known) ARN names: AWS's own broad ones, or a Policy seen in this run. */
    grantsOf(arn: string): string[] | "unknown" {
        if (isBroadManaged(arn)) return [broadManaged(arn)];
        const at = arn.indexOf(":policy/");
        if (!arn.startsWith("arn:") || at < 0) return [];
        const pathAndName = arn.slice(at + ":policy".length);
        const policy = this.policies.find((p) => (p.name !== undefined ? `${p.path}${p.name}` === pathAndName : p.namePrefix !== undefined && pathAndName.startsWith(`${p.path}${p.namePrefix}`)));
        if (policy === undefined) return [];
        if (policy.grants === "unknown") return "unknown";
        return policy.grants.map((g) => `the policy ${policy.resourceName} ${g.replace(/^it /, "")}`);
    }
}

const memory = new RunMemory();

function checkRole(args: ResourceValidationArgs, report: (problem: string) => void): void {
    const props = args.props;
    const trust = peek(() => trustsStepFunctions(props.assumeRolePolicy));
    memory.roles.push({
        resourceName: args.name,
        name: knownString(() => props.name),
        namePrefix: knownString(() => props.namePrefix),
        trustsStepFunctions: trust.known ? trust.value : "unknown",
    });
    if (trust.known && !trust.value) return;
    const problems: string[] = [];
    let unknown: Error | undefined;
    const inline = peek(() => list(props.inlinePolicies as { policy?: unknown }[] | undefined).flatMap((p) => broadInvokeGrants(p.policy)));
    if (inline.known) problems.push(...inline.value);
    else unknown = inline.error;
    const managed = peek(() => list(props.managedPolicyArns as unknown[] | undefined).map(String));
    if (managed.known) {
        for (const arn of managed.value) {
            const grants = memory.grantsOf(arn);
            if (grants !== "unknown") problems.push(...grants);
        }
    } else unknown ??= managed.error;
    if (!trust.known) {
        if (problems.length > 0 || unknown !== undefined) throw trust.error;
        return;
    }
    problems.forEach(report);
    if (unknown !== undefined) throw unknown;
}

/** A RolePolicy's or RolePolicyAttachment's grants, judged once its role is known to be a state machine role's. */
function checkGrantToRole(args: ResourceValidationArgs, grants: Known<string[] | "unknown">, reportViolation: ReportViolation): void {
    if (grants.known && (grants.value === "unknown" || grants.value.length === 0)) return;
    const role = peek(() => args.props.role as unknown);
    if (!role.known) throw role.error;
    const { trusts, resourceName } = memory.trustOf(String(role.value));
    if (trusts !== true) return;
    if (!grants.known) throw grants.error;
    for (const problem of grants.value as string[]) reportViolation(violation(args.type, args.name, resourceName!, problem));
}

export const invokeScopeBeforeCreate: ResourceValidationPolicy = {
    name: "step-functions-invoke-scope-before-create",
    description:
        "Before an IAM role, role policy or policy attachment is created, a state machine's role may get lambda:InvokeFunction only on exact function ARNs. " +
        "A state machine's role is one whose trust policy names states.amazonaws.com; a role policy or attachment is its when the role name it gives is such a role's, " +
        "seen earlier in the same preview or update. A value not known yet gives at most an advisory note, never a violation.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `In the role's policy, ${REMEDY}; IteratorWorkflow does this for its own role.`,
    validateResource: (args, reportViolation) => {
        memory.visit(args.type, args.urn);
        switch (args.type) {
            case ROLE:
                return checkRole(args, (problem) => reportViolation(violation(ROLE, args.name, args.name, problem)));
            case POLICY:
                memory.policies.push({
                    resourceName: args.name,
                    name: knownString(() => args.props.name),
                    namePrefix: knownString(() => args.props.namePrefix),
                    path: knownString(() => args.props.path) ?? "/",
                    grants: ((g) => (g.known ? g.value : "unknown"))(peek(() => broadInvokeGrants(args.props.policy))),
                });
                return;
            case ROLE_POLICY:
                return checkGrantToRole(args, peek(() => broadInvokeGrants(args.props.policy)), reportViolation);
            case ATTACHMENT:
                return checkGrantToRole(args, peek(() => memory.grantsOf(String(args.props.policyArn))), reportViolation);
            default:
                return;
        }
    },
};
