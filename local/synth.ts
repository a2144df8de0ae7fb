// Runs the Pulumi program in-process under Pulumi's mock engine: no CLI, no cloud. It records every
// resource the program registers, with its inputs, so tests, the local runner and the policy run
// can look at exactly what `pulumi up` would send to the engine.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
// Internal to the SDK, without a type declaration: what a real run awaits before it ends (settings.disconnect).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs }: { waitForRPCs(): Promise<void> } = require("@pulumi/pulumi/runtime/settings");
import { parse as parseYaml } from "yaml";
import type { Capacity } from "../components/capacity";
import { COMPONENT_TYPE, type IteratorWorkflow } from "../components/iteratorWorkflow";
import { ProgramError, StackError, UsageError } from "./errors";
import { entryPoint, findProject, nothingRan, runProgram } from "./program";

export { StackError } from "./errors";

export const PROJECT = "iterator-workflow";
export const ACCOUNT = "123456789012";
/** This repository: the project the commands run unless told another directory. */
export const ROOT = path.join(__dirname, "..");

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

/** One IteratorWorkflow the program registered, with what the local commands need of it. */
export interface SynthWorkflow {
    name: string;
    /** The component's own `capacity` output. */
    capacity: Capacity;
    stateMachine: SynthResource;
    /** The iterator strategy's MoveToEnd function; a Map has none. */
    moveToEndFunction?: SynthResource;
}

export interface Synthesis {
    resources: SynthResource[];
    outputs: Record<string, unknown>;
    /** Every IteratorWorkflow component, in the order the program created them. */
    workflows: SynthWorkflow[];
    /** What the Pulumi CLI would warn about while finding the program. */
    warnings: string[];
    /** The entry point the program was loaded from, relative to its project; absent for a function. */
    program?: string;
}

/** A program given as a function (tests), or the project found at or above a directory. */
export type ProgramSource = (() => unknown) | { dir: string };

/**
 * A stack's config as Pulumi would hand it to the program: `namespace:key` to text (objects as
 * JSON), from Pulumi.<stack>.yaml, plus what the project file sets for keys the stack leaves out.
 */
export function readStackConfig(stack: string, dir = ROOT): Record<string, string> {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackError(`stack name "${stack}" may only hold letters, digits, -, _ and .`);
    const project = findProject(dir);
    const ext = path.extname(project.file);
    const name = `Pulumi.${stack}${ext}`;
    const file = path.join(project.dir, name);
    if (!fs.existsSync(file)) {
        const known = fs.readdirSync(project.dir).flatMap((f) => new RegExp(`^Pulumi\\.(.+)\\${ext}$`).exec(f)?.[1] ?? []);
        throw new StackError(`unknown stack "${stack}": there is no ${name} (stacks here: ${known.join(", ") || "none"})`);
    }
    let doc: unknown;
    try {
        doc = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new StackError(`${name} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    const config = Object.fromEntries(Object.entries((doc as { config?: Record<string, unknown> } | null)?.config ?? {}).map(([k, v]) => [k, text(v)]));
    // pkg/workspace/config.go: the project's config fills in what the stack does not set.
    for (const [raw, declared] of Object.entries(project.config)) {
        const key = raw.includes(":") ? raw : `${project.name}:${raw}`;
        if (key in config) continue;
        const spec = declared !== null && typeof declared === "object" && !Array.isArray(declared) ? (declared as Record<string, unknown>) : { default: declared };
        const value = "default" in spec ? spec.default : spec.value;
        if (value !== undefined) config[key] = text(value);
    }
    return config;
}

/** Made-up but well-formed ARNs, so definitions and policies see what AWS would return. */
export function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const region = "us-east-1";
    const arns: Record<string, string> = {
        "aws:lambda/function:Function": `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`,
        "aws:sfn/stateMachine:StateMachine": `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name}`,
        "aws:sfn/activity:Activity": `arn:aws:states:${region}:${ACCOUNT}:activity:${name}`,
        "aws:iam/role:Role": `arn:aws:iam::${ACCOUNT}:role/${name}`,
        "aws:cloudwatch/logGroup:LogGroup": `arn:aws:logs:${region}:${ACCOUNT}:log-group:${(inputs.namePrefix as string | undefined) ?? ""}${name}`,
        "aws:sns/topic:Topic": `arn:aws:sns:${region}:${ACCOUNT}:${name}`,
        "aws:kms/key:Key": `arn:aws:kms:${region}:${ACCOUNT}:key/${name}`,
        "aws:cloudwatch/metricAlarm:MetricAlarm": `arn:aws:cloudwatch:${region}:${ACCOUNT}:alarm:${name}`,
        "aws:cloudwatch/eventRule:EventRule": `arn:aws:events:${region}:${ACCOUNT}:rule/${name}`,
        "aws:s3/bucket:Bucket": `arn:aws:s3:::${name}`,
    };
    // A bucket's name is its `bucket` output, as AWS names it.
    const names: Record<string, Record<string, string>> = { "aws:s3/bucket:Bucket": { bucket: name } };
    return { name, ...names[type], ...inputs, ...(arns[type] ? { arn: arns[type] } : {}) };
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
 * Runs a program for the given config: by default this repository's, found and loaded as the
 * Pulumi CLI would (Pulumi.yaml's `main`, index.ts); or another project's, or a function.
 * Pulumi errors meant for the user (RunError) come back as they are, one line.
 */
export async function synthesize(config: Record<string, string>, stack = "dev", program: ProgramSource = { dir: ROOT }): Promise<Synthesis> {
    const resources: SynthResource[] = [];
    const parents = new Map<string, string>();
    const dependencies = new Map<string, Promise<Record<string, string[]>>>();
    const components: IteratorWorkflow[] = [];
    const project = typeof program === "function" ? undefined : findProject(program.dir);
    const entry = project && entryPoint(project);
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
        project?.name ?? PROJECT,
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(config);
    let uncalled: string[] = [];
    // As the CLI runs it: in the directory of `main` (run.js's --pwd), so its relative paths hold.
    const cwd = process.cwd();
    if (entry) process.chdir(entry.pwd);
    let stackOutputs: unknown;
    try {
        // A root stack, as the CLI would make, so that a stack transformation can run: the SDK runs it
        // in-process, before registration, which is the one place a resource's parent is visible, and
        // where the workflows are found by what they are rather than by what the program exports.
        stackOutputs = await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation(({ resource, type, name, props, opts }) => {
                const parent = opts.parent as NamedResource | undefined;
                if (parent?.__pulumiType && parent.__name) parents.set(`${type}::${name}`, keyOf(parent));
                dependencies.set(`${type}::${name}`, propertyDependencies(props));
                if (type === COMPONENT_TYPE) components.push(resource as unknown as IteratorWorkflow);
                return undefined;
            });
            if (!entry) return await (program as () => unknown)();
            const run = await runProgram(entry);
            uncalled = run.uncalledFunctions;
            return run.outputs;
        });
        // Resources whose inputs wait on other resources' outputs register after the exports may have
        // settled (the component's alarms wait on the state machine): wait for every registration.
        await waitForRPCs();
    } finally {
        process.chdir(cwd);
    }
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries((stackOutputs ?? {}) as Record<string, unknown>)) outputs[key] = await settle(value);
    for (const resource of resources) resource.propertyDependencies = (await dependencies.get(`${resource.type}::${resource.name}`)) ?? {};
    if (entry && !resources.some((r) => r.type !== "pulumi:pulumi:Stack")) {
        const why = nothingRan(entry, uncalled);
        if (why) throw new ProgramError(why);
    }
    const byKey = (resource: NamedResource | undefined) => resource && resources.find((r) => `${r.type}::${r.name}` === keyOf(resource));
    const workflows: SynthWorkflow[] = [];
    for (const component of components) {
        const stateMachine = byKey(component.stateMachine);
        if (!stateMachine) continue;
        workflows.push({
            name: (component as NamedResource).__name!,
            capacity: (await settle(component.capacity)) as Capacity,
            stateMachine,
            moveToEndFunction: byKey(component.moveToEndFunction),
        });
    }
    return { resources, outputs, workflows, warnings: entry?.warnings ?? [], program: entry && project && (path.relative(project.dir, entry.program) || ".") };
}

/**
 * The workflow a command works on: the only one, or the one `--workflow` names. A program with
 * several and no name, or none at all, is an error that says what there is.
 */
export function selectWorkflow(synth: Synthesis, name: string | undefined, stack: string): SynthWorkflow {
    const names = synth.workflows.map((w) => w.name);
    if (names.length === 0) throw new ProgramError(`stack ${stack}: the program${synth.program ? ` (${synth.program})` : ""} registers no IteratorWorkflow`);
    if (name === undefined) {
        if (names.length > 1) throw new UsageError(`stack ${stack} has ${names.length} workflows (${names.join(", ")}): pick one with --workflow NAME`);
        return synth.workflows[0];
    }
    const found = synth.workflows.filter((w) => w.name === name);
    if (found.length === 0) throw new UsageError(`--workflow ${name}: stack ${stack} has no workflow of that name (its workflows: ${names.join(", ")})`);
    return found[0];
}

/** Every text file of an archive a resource was given, e.g. a Lambda's `code`, by name. */
export async function archiveFiles(archive: unknown): Promise<Record<string, string>> {
    const assets = (await (archive as { assets?: Promise<Record<string, { text?: Promise<string> }>> }).assets) ?? {};
    const files: Record<string, string> = {};
    for (const [name, asset] of Object.entries(assets)) {
        const text = await asset.text;
        if (typeof text === "string") files[name] = text;
    }
    return files;
}
