// Runs the policy pack over a synthesized stack the way the Pulumi engine runs an analyzer: each
// resource's inputs behind CrossGuard's own unknown-checking proxy, each policy's config checked
// against its schema, then the stack policies over every resource with its dependencies.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import type {
    EnforcementLevel,
    Policy,
    PolicyPackConfig,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { policies as packPolicies } from "../policies/all";
import { PROJECT, type Synthesis, type SynthResource } from "./synth";

// CrossGuard's proxy is internal to @pulumi/policy (no type declarations); using it, rather than a
// copy, means an unknown value fails a policy here exactly as it does under `pulumi preview`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy: { unknownCheckingProxy<T>(value: T): T; UnknownValueError: new (...args: never[]) => Error } = require("@pulumi/policy/proxy");

export const PACK_DIR = path.join(__dirname, "..", "policies");
export const PACK_NAME = "iterator-workflow";
export const PACK_VERSION: string = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")).version;

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    /** The resource in violation; absent for the stack as a whole. */
    resource?: { type: string; name: string; urn: string };
    message: string;
}

export class PolicyConfigError extends Error {}

/** A mandatory policy is violated: what `pulumi up` would refuse to deploy is not run either. */
export class PolicyViolationError extends Error {}

class NotApplicable extends Error {}

/** `urn:pulumi:stack::project::parent$type::name`, as the engine names resources. */
export function urnOf(resource: SynthResource, all: SynthResource[], stack: string): string {
    const chain = [resource.type];
    for (let parent = resource.parent; parent !== undefined; ) {
        const found = all.find((r) => `${r.type}::${r.name}` === parent);
        if (!found || found.type === "pulumi:pulumi:Stack") break;
        chain.unshift(found.type);
        parent = found.parent;
    }
    return `urn:pulumi:${stack}::${PROJECT}::${chain.join("$")}::${resource.name}`;
}

interface Settings {
    level: EnforcementLevel;
    config: Record<string, unknown>;
}

/** Each policy's enforcement level and config, checked as `pulumi preview --policy-pack-config` checks them. */
export function policySettings(policies: Policy[], config: PolicyPackConfig = {}): Map<string, Settings> {
    for (const name of Object.keys(config)) {
        if (!policies.some((p) => p.name === name)) throw new PolicyConfigError(`policy pack config: "${name}" is not a policy of ${PACK_NAME} (its policies: ${policies.map((p) => p.name).join(", ")})`);
    }
    const ajv = new Ajv({ strict: false, allErrors: false });
    const levels: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
    const settings = new Map<string, Settings>();
    for (const policy of policies) {
        const given = config[policy.name];
        const own = typeof given === "string" ? { enforcementLevel: given } : (given ?? {});
        const { enforcementLevel, ...values } = own as { enforcementLevel?: EnforcementLevel } & Record<string, unknown>;
        if (enforcementLevel !== undefined && !levels.includes(enforcementLevel)) {
            throw new PolicyConfigError(`policy pack config: ${policy.name}.enforcementLevel must be one of ${levels.join(", ")}, got ${JSON.stringify(enforcementLevel)}`);
        }
        const schema = { type: "object", additionalProperties: false, ...(policy.configSchema ?? { properties: {} }) };
        const validate = ajv.compile(schema);
        if (!validate(values)) {
            const e = validate.errors![0];
            const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : String((e.params as { additionalProperty?: string }).additionalProperty ?? "");
            throw new PolicyConfigError(`policy pack config: ${policy.name}.${field} ${e.message}`);
        }
        settings.set(policy.name, { level: enforcementLevel ?? policy.enforcementLevel ?? "advisory", config: values });
    }
    return settings;
}

const isResourcePolicy = (p: Policy): p is ResourceValidationPolicy => "validateResource" in p && p.validateResource !== undefined;
const isStackPolicy = (p: Policy): p is StackValidationPolicy => "validateStack" in p && (p as StackValidationPolicy).validateStack !== undefined;

const OPTIONS: PolicyResourceOptions = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };

export interface RunPoliciesOptions {
    stack: string;
    config?: PolicyPackConfig;
    policies?: Policy[];
}

/** Every violation the pack reports for the stack, in policy order. */
export async function runPolicies(synth: Synthesis, options: RunPoliciesOptions): Promise<Violation[]> {
    const policies = options.policies ?? packPolicies;
    const settings = policySettings(policies, options.config);
    const all = synth.resources;
    const urns = new Map(all.map((r) => [r, urnOf(r, all, options.stack)]));
    const violations: Violation[] = [];

    // Each call sees the inputs through CrossGuard's proxy; what it cannot know ends the policy for
    // that resource with an advisory note, never a violation, as the engine does during preview.
    const guarded = async (policy: Policy, resource: Violation["resource"], run: () => Promise<void> | void) => {
        try {
            await run();
        } catch (err) {
            if (err instanceof proxy.UnknownValueError) {
                violations.push({ policy: policy.name, level: "advisory", resource, message: `can't run policy '${policy.name}' from policy pack '${PACK_NAME}@v${PACK_VERSION}' during preview: ${err.message}` });
            } else if (!(err instanceof NotApplicable)) throw err;
        }
    };
    const common = (policy: Policy) => ({
        stackTags: new Map<string, string>(),
        getConfig: <T extends object>() => settings.get(policy.name)!.config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    });

    for (const policy of policies) {
        const { level } = settings.get(policy.name)!;
        if (level === "disabled") continue;
        if (isResourcePolicy(policy)) {
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
            for (const resource of all) {
                const where = { type: resource.type, name: resource.name, urn: urns.get(resource)! };
                const report = (message: string) => violations.push({ policy: policy.name, level, resource: where, message });
                for (const validate of validations) {
                    await guarded(policy, where, () =>
                        validate(
                            {
                                ...common(policy),
                                type: resource.type,
                                name: resource.name,
                                urn: where.urn,
                                props: proxy.unknownCheckingProxy(resource.inputs),
                                opts: OPTIONS,
                                isType: () => false,
                                asType: () => undefined,
                            },
                            report,
                        ),
                    );
                }
            }
        }
        if (isStackPolicy(policy)) {
            const resources = policyResources(all, urns);
            const report = (message: string, urn?: string) => {
                const r = resources.find((x) => x.urn === urn);
                violations.push({ policy: policy.name, level, resource: r ? { type: r.type, name: r.name, urn: r.urn } : undefined, message });
            };
            await guarded(policy, undefined, () => policy.validateStack({ ...common(policy), resources }, report));
        }
    }
    return violations;
}

/** The stack as a stack policy sees it: every resource with its parent and property dependencies. */
function policyResources(all: SynthResource[], urns: Map<SynthResource, string>): PolicyResource[] {
    const byKey = new Map<string, PolicyResource>();
    const list = all.map((r) => {
        const resource: PolicyResource = {
            type: r.type,
            name: r.name,
            urn: urns.get(r)!,
            props: proxy.unknownCheckingProxy(r.inputs),
            opts: OPTIONS,
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        };
        byKey.set(`${r.type}::${r.name}`, resource);
        return resource;
    });
    all.forEach((r, i) => {
        const resource = list[i];
        if (r.parent) resource.parent = byKey.get(r.parent);
        for (const [prop, keys] of Object.entries(r.propertyDependencies)) {
            resource.propertyDependencies[prop] = keys.flatMap((k) => byKey.get(k) ?? []);
        }
        resource.dependencies = [...new Set(Object.values(resource.propertyDependencies).flat())];
    });
    return list;
}

export const mandatory = (violations: Violation[]): Violation[] => violations.filter((v) => v.level === "mandatory");

/** The report the way `pulumi preview --policy-pack` prints it: pack, then each violation with its level, policy and resource. */
export function formatViolations(violations: Violation[]): string {
    const mark = violations.length === 0 ? "✅" : mandatory(violations).length > 0 ? "❌" : "⚠️";
    const lines = [`Policies:`, `    ${mark} ${PACK_NAME}@v${PACK_VERSION} (local: policies)`];
    if (violations.length === 0) lines.push("        no violations");
    for (const v of violations) {
        const where = v.resource ? `  (${v.resource.type}: ${v.resource.name})` : "";
        lines.push(`        - [${v.level}]  ${v.policy}${where}`);
        lines.push(`          ${v.message}`);
    }
    return lines.join("\n");
}

/** A `--policy-pack-config` file: JSON keyed by policy name, as the Pulumi CLI takes it; `shown` names it in messages. */
export function readPolicyConfig(file: string, shown = file): PolicyPackConfig {
    if (!fs.existsSync(file)) throw new PolicyConfigError(`policy pack config file ${shown} does not exist`);
    let config: unknown;
    try {
        config = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new PolicyConfigError(`policy pack config file ${shown} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new PolicyConfigError(`policy pack config file ${shown} must hold a JSON object keyed by policy name`);
    return config as PolicyPackConfig;
}
