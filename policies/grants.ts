// A state machine's role must allow what its Task states call: without the grant, AWS fails the task
// with AccessDenied on the first job, after the deploy has gone through.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ANY_SEGMENT, allowsService, granted, statementsOf, type IamStatement } from "./generated/iamPatterns";
import { taskGrants, type Need } from "./generated/integrations";
import { eachState, parseDefinition, STATE_MACHINE } from "./asl";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POLICY = "aws:iam/policy:Policy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/** Whether `resource.props[prop]` refers to `role`: through the engine's dependencies, or, for a plain name or ARN, by value. */
function refersTo(resource: PolicyResource, prop: string, role: PolicyResource): boolean {
    const deps = resource.propertyDependencies?.[prop] ?? [];
    if (deps.length > 0) return deps.some((d) => d.urn === role.urn);
    const value = resource.props[prop];
    return typeof value === "string" && (value === role.props.name || value === role.props.arn);
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** CrossGuard's proxy throws its UnknownValueError on reading a value not known yet. */
const isUnknownValue = (err: unknown): err is Error => err instanceof Error && err.constructor.name === "UnknownValueError";

interface RoleGrants {
    statements: IamStatement[];
    /** A policy is attached that this stack does not hold (an AWS managed one, or one made elsewhere): what it allows is not known. */
    opaque: boolean;
}

/** Every statement the role's policies hold: inline, role policies, and attached policies this stack defines. */
function grantsOf(role: PolicyResource, all: PolicyResource[]): RoleGrants {
    const statements: IamStatement[] = [];
    let opaque = false;
    for (const inline of list(role.props.inlinePolicies as { policy?: unknown }[] | undefined)) statements.push(...statementsOf(inline.policy));
    for (const rp of all.filter((r) => r.type === ROLE_POLICY && refersTo(r, "role", role))) statements.push(...statementsOf(rp.props.policy));
    const attached = (r: PolicyResource, prop: string) => {
        const policies = (r.propertyDependencies?.[prop] ?? []).filter((d) => d.type === POLICY);
        if (policies.length === 0) opaque = true;
        for (const policy of policies) statements.push(...statementsOf(policy.props.policy));
    };
    for (const attachment of all.filter((r) => r.type === ATTACHMENT && refersTo(r, "role", role))) attached(attachment, "policyArn");
    if (list(role.props.managedPolicyArns as unknown[] | undefined).length > 0) attached(role, "managedPolicyArns");
    return { statements, opaque };
}

/** An ARN for a message: a segment the pack cannot know (the machine's region or account) as a placeholder. */
function shown(arn: string): string {
    const parts = arn.split(":");
    if (parts[3] === ANY_SEGMENT) parts[3] = "<region>";
    if (parts[4] === ANY_SEGMENT) parts[4] = "<account>";
    return parts.join(":");
}

/** What of one need the statements do not allow, as the statement that would. */
function missing(need: Need, statements: IamStatement[], guessedAction: boolean): { add: object; why?: string } | undefined {
    const t = need.target;
    switch (t.kind) {
        case "invalid":
            // Not a grant problem: the call fails on its parameters whatever IAM allows.
            return undefined;
        case "unknown": {
            const actions = need.actions.filter((action) => (guessedAction ? !statements.some((s) => s.Effect === "Allow" && allowsService(s, action.split(":")[0])) : !granted(statements, action)));
            return actions.length === 0 ? undefined : { add: { Effect: "Allow", Action: actions.length === 1 ? actions[0] : actions, Resource: t.shape }, why: t.why };
        }
        case "arns": {
            const actions = need.actions.filter((action) => t.arns.some((arn) => !granted(statements, action, arn)));
            if (actions.length === 0) return undefined;
            const arns = t.arns.filter((arn) => actions.some((action) => !granted(statements, action, arn))).map(shown);
            return { add: { Effect: "Allow", Action: actions.length === 1 ? actions[0] : actions, Resource: arns.length === 1 ? arns[0] : arns } };
        }
        default:
            return assertNever(t);
    }
}

const REMEDY =
    "Add the statement the message names to the state machine role's policy. With IteratorWorkflow, a task step whose parameters name their target fixed is granted it by the component; " +
    "one whose target is chosen at run time declares it in its policyStatements, naming each resource it may be.";

export const taskGrantsPolicy: StackValidationPolicy = {
    name: "step-functions-task-grants",
    description:
        "Every Task state's integration is allowed by the state machine role's policies: sns:publish, sqs:sendMessage, DynamoDB items, lambda:invoke, nested executions (.sync too), " +
        "ecs:runTask, glue:startJobRun, batch:submitJob and the AWS SDK calls the table knows, on the exact ARNs their parameters name (a target chosen at run time: the action at least). " +
        "A role with a policy this stack does not define, or a value not known yet, is not judged.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: REMEDY,
    validateStack: (args, reportViolation) => {
        let unknown: Error | undefined;
        const read = <T>(what: () => T): T | undefined => {
            try {
                return what();
            } catch (err) {
                if (!isUnknownValue(err)) throw err;
                unknown ??= err;
                return undefined;
            }
        };
        for (const machine of args.resources.filter((r) => r.type === STATE_MACHINE)) {
            // A role this stack does not define: nothing here says what it allows.
            const role = args.resources.find((r) => r.type === ROLE && refersTo(machine, "roleArn", r));
            if (role === undefined) continue;
            const definition = read(() => parseDefinition(machine.props.definition));
            if (definition === undefined || typeof definition === "string") continue;
            const tasks = [...eachState(definition)].flatMap((found) => {
                const resource = found.state.Resource;
                if (found.state.Type !== "Task" || typeof resource !== "string") return [];
                const args = found.queryLanguage === "JSONata" ? found.state.Arguments : found.state.Parameters;
                const grants = taskGrants(resource, args, { region: ANY_SEGMENT, account: ANY_SEGMENT }, found.queryLanguage);
                return grants === undefined || grants.needs.length === 0 ? [] : [{ path: found.path, grants }];
            });
            if (tasks.length === 0) continue;
            const roleGrants = read(() => grantsOf(role, args.resources));
            if (roleGrants === undefined || roleGrants.opaque) continue;
            for (const { path, grants } of tasks) {
                const gaps = grants.needs.flatMap((need) => missing(need, roleGrants.statements, grants.guessedAction === true) ?? []);
                if (gaps.length === 0) continue;
                const add = gaps.map((g) => `${JSON.stringify(g.add)}${g.why ? ` (${g.why}: one for each resource it may be)` : ""}`).join(" and ");
                reportViolation(`state "${path}" (${grants.integration}) calls what role ${role.name}'s policies do not allow; add ${add}. AWS's policy for it: ${grants.docs}`, machine.urn);
            }
        }
        // Something was not known yet (a first preview): CrossGuard turns this into its advisory note.
        if (unknown !== undefined) throw unknown;
    },
};

function assertNever(value: never): never {
    throw new Error(`unexpected target ${JSON.stringify(value)}`);
}
