// Runs the Pulumi program in-process under Pulumi's mock engine: no CLI, no cloud. It records every
// resource the program registers, with its inputs, so tests, the local runner and the policy run
// can look at exactly what `pulumi up` would send to the engine.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

export const PROJECT = "iterator-workflow";
export const ACCOUNT = "123456789012";
const ROOT = path.join(__dirname, "..");

export interface SynthResource {
    type: string;
    name: string;
    id: string;
    inputs: Record<string, unknown>;
    /** The outputs the mock engine returned: inputs plus made-up ARNs and names. */
    state: Record<string, unknown>;
    /** `type::name` of the parent resource, if any. */
    parent?: string;
    /** For each input that came from other resources' outputs, those resources' `type::name`, as the engine records them for policies. */
    propertyDependencies: Record<string, string[]>;
}

export interface Synthesis {
    resources: SynthResource[];
    outputs: Record<string, unknown>;
}

export class StackError extends Error {}

/** A stack's config as Pulumi would hand it to the program: `namespace:key` to text (objects as JSON). */
export function readStackConfig(stack: string, dir = ROOT): Record<string, string> {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackError(`stack name "${stack}" may only hold letters, digits, -, _ and .`);
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs.readdirSync(dir).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
        throw new StackError(`unknown stack "${stack}": there is no Pulumi.${stack}.yaml (stacks here: ${known.join(", ") || "none"})`);
    }
    let doc: unknown;
    try {
        doc = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new StackError(`Pulumi.${stack}.yaml is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Made-up but well-formed ARNs, so definitions and policies see what AWS would return. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const region = "us-east-1";
    const arns: Record<string, string> = {
        "aws:lambda/function:Function": `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`,
        "aws:sfn/stateMachine:StateMachine": `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name}`,
        "aws:sfn/activity:Activity": `arn:aws:states:${region}:${ACCOUNT}:activity:${name}`,
        "aws:iam/role:Role": `arn:aws:iam::${ACCOUNT}:role/${name}`,
        "aws:cloudwatch/logGroup:LogGroup": `arn:aws:logs:${region}:${ACCOUNT}:log-group:${(inputs.namePrefix as string | undefined) ?? ""}${name}`,
    };
    return { name, ...inputs, ...(arns[type] ? { arn: arns[type] } : {}) };
}

type NamedResource = pulumi.Resource & { __pulumiType?: string; __name?: string };
const keyOf = (resource: NamedResource): string => `${resource.__pulumiType}::${resource.__name}`;

/**
 * Which resources each input depends on, gathered as the SDK gathers them for the engine: from the
 * resources behind an Output (its internal `allResources`), or a resource passed as the value itself.
 */
async function propertyDependencies(props: Record<string, unknown>): Promise<Record<string, string[]>> {
    const result: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(props)) {
        let found: Iterable<NamedResource> = [];
        if (pulumi.Resource.isInstance(value)) found = [value];
        else if (pulumi.Output.isInstance(value)) {
            const output = value as unknown as { allResources?: () => Promise<Set<NamedResource>>; resources: () => Set<NamedResource> };
            found = await (output.allResources?.() ?? Promise.resolve(output.resources()));
        }
        const keys = [...found].filter((r) => r.__pulumiType && r.__name).map(keyOf);
        if (keys.length > 0) result[key] = [...new Set(keys)];
    }
    return result;
}

async function settle(value: unknown): Promise<unknown> {
    const output: pulumi.Output<unknown> = pulumi.output(value);
    return new Promise((resolve) => output.apply((v: unknown) => resolve(v)));
}

/**
 * Runs `index.ts` (or another program exporting a function) for the given config.
 * Pulumi errors meant for the user (RunError) come back as they are, one line.
 */
export async function synthesize(config: Record<string, string>, stack = "dev", program: () => Promise<Record<string, unknown>> = require("../index")): Promise<Synthesis> {
    const resources: SynthResource[] = [];
    const parents = new Map<string, string>();
    const dependencies = new Map<string, Promise<Record<string, string[]>>>();
    await pulumi.runtime.setMocks(
        {
            newResource: ({ type, name, inputs }) => {
                const state = mockState(type, name, inputs);
                resources.push({ type, name, id: name, inputs, state, parent: parents.get(`${type}::${name}`), propertyDependencies: {} });
                return { id: name, state };
            },
            call: ({ token }) => {
                switch (token) {
                    case "aws:index/getCallerIdentity:getCallerIdentity":
                        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/local`, userId: "LOCAL", id: ACCOUNT };
                    case "aws:index/getRegion:getRegion":
                        return { name: "us-east-1", region: "us-east-1", id: "us-east-1" };
                    case "aws:index/getPartition:getPartition":
                        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
                    default:
                        throw new Error(`the local engine has no mock for ${token}`);
                }
            },
        },
        PROJECT,
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(config);
    let exported: Record<string, unknown> = {};
    // A root stack, as the CLI would make, so that a stack transformation can run: the SDK runs it
    // in-process, before registration, which is the one place a resource's parent is visible.
    await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation(({ type, name, props, opts }) => {
            const parent = opts.parent as NamedResource | undefined;
            if (parent?.__pulumiType && parent.__name) parents.set(`${type}::${name}`, keyOf(parent));
            dependencies.set(`${type}::${name}`, propertyDependencies(props));
            return undefined;
        });
        exported = await program();
        return exported;
    });
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exported)) outputs[key] = await settle(value);
    for (const resource of resources) resource.propertyDependencies = (await dependencies.get(`${resource.type}::${resource.name}`)) ?? {};
    return { resources, outputs };
}

/** The text of one file of an archive a resource was given, e.g. a Lambda's `code`. */
export async function archiveFile(archive: unknown, file: string): Promise<string> {
    const assets = await (archive as { assets?: Promise<Record<string, { text?: Promise<string> }>> }).assets;
    const text = await assets?.[file]?.text;
    if (typeof text !== "string") throw new Error(`the archive holds no text file ${file}`);
    return text;
}
