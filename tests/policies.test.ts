// The policy pack, over the resources the program really registers (synthesized under mocks), run
// the way the engine runs an analyzer. The PolicyPack itself is never built: that starts a gRPC server.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import type { Policy, PolicyPackConfig } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { peakState } from "../components/budget";
import { IteratorWorkflow } from "../components/iteratorWorkflow";
import { TAG } from "../components/workflowTags";
import { broadInvokeGrants, invokeScope, invokeScopeBeforeCreate } from "../policies/iam";
import { definitionSize, historyBudget } from "../policies/definition";
import { taskGrantsPolicy } from "../policies/grants";
import { lambdaResultsTrimmed, limitsDeclared, payloadBudget, smallLiterals } from "../policies/payload";
import { policies } from "../policies/all";
import { EXIT } from "../local/errors";
import { mandatory, PolicyConfigError, runPolicies, type Violation } from "../local/policyRun";
import { executeStack, prepareStack } from "../local/runStack";
import { ACCOUNT, readStackConfig, synthesize, type Synthesis, type SynthResource } from "../local/synth";
import { Analyzer, UNKNOWN } from "./helpers/analyzer";
import { rejection } from "./helpers/errors";
import { fnArn } from "./helpers/specs";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownStringValue } = require("@pulumi/policy/proxy");

const ROOT = path.join(__dirname, "..");
const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";

/** The dev stack with some config replaced: a stack that violates on purpose is one line away. */
const stack = (overrides: Record<string, unknown> = {}) =>
    synthesize({ ...readStackConfig("dev"), ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`iterator-workflow:${k}`, JSON.stringify(v)])) });

async function check(policy: Policy, synth: Synthesis, config?: PolicyPackConfig["x"]): Promise<Violation[]> {
    return runPolicies(synth, { stack: "dev", policies: [policy], config: config === undefined ? undefined : { [policy.name]: config } });
}

const messages = (violations: Violation[]) => violations.map((v) => v.message);

const longestSettings = (settings: { store: object }) => ({ ...settings, store: { ...settings.store, bucket: "b".repeat(63) } });

/**
 * n jobs of exactly `size` bytes of JSON, padded with quotes among letters: a quote takes twice its
 * room once a job is written again as a JSON string, as a hand-over's task result writes the jobs it sent.
 */
function jobsOf(n: number, size: number): { i: number; pad: string }[] {
    return Array.from({ length: n }, (_, i) => {
        const room = size - JSON.stringify({ i, pad: "" }).length;
        const quotes = Math.floor(room / 4);
        return { i, pad: `${'"'.repeat(quotes)}${"x".repeat(room - 2 * quotes)}` };
    });
}

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const trust = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
const INVOKE_ANY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" }] });
/** A task step whose declared statements let the state machine invoke any function. */
const INVOKE_ANY_STEP = { kind: "task", name: "Any", resultKey: "r", resource: "arn:aws:states:::lambda:invoke", resultSelector: { "v.$": "$.Payload" }, parameters: { "FunctionName.$": "$.fn" }, policyStatements: [{ Action: "lambda:Invoke*", Resource: "*" }] };
const REMEDY = "name the exact function ARNs the state machine invokes (an alias or version ARN if it invokes one)";

/** The role a synthesized RolePolicy was given, through the dependency the SDK recorded. */
const roleOf = (synth: Synthesis, rp: SynthResource) => synth.resources.find((r) => `${r.type}::${r.name}` === rp.propertyDependencies.role?.[0])!;

/**
 * The inputs as the engine analyzes them during `pulumi up`: after the provider's Check, which gives
 * each role its autonamed `name`, and once the role exists, so a role policy's `role` (the role's id)
 * is that name. The mock engine does neither.
 */
function asDuringUp(synth: Synthesis): Synthesis {
    for (const role of synth.resources.filter((r) => r.type === ROLE)) role.inputs.name = `${role.name}-1a2b3c4`;
    for (const rp of synth.resources.filter((r) => r.type === ROLE_POLICY)) rp.inputs.role = roleOf(synth, rp).inputs.name;
    return synth;
}

/** The inputs on a first preview: roles autonamed by Check, but a role policy's role id (and here its document) not known yet. */
function asFirstPreview(synth: Synthesis, unknown: ("role" | "policy")[] = ["role", "policy"]): Synthesis {
    for (const role of synth.resources.filter((r) => r.type === ROLE)) role.inputs.name = `${role.name}-1a2b3c4`;
    for (const rp of synth.resources.filter((r) => r.type === ROLE_POLICY)) {
        rp.inputs.role = unknown.includes("role") ? unknownStringValue : roleOf(synth, rp).inputs.name;
        if (unknown.includes("policy")) rp.inputs.policy = unknownStringValue;
    }
    return synth;
}

/** Exports that settle only once every resource given is registered: the mock engine's run ends when the exports settle. */
const registered = (...resources: pulumi.CustomResource[]) => ({ ids: pulumi.all(resources.map((r) => r.id)) });

const NOTE = (what: string) => `can't run policy '${invokeScopeBeforeCreate.name}' from policy pack 'iterator-workflow@v0.1.0' during preview: string value at .${what} can't be known during preview`;

describe("the policy pack", () => {
    let dev: Synthesis;
    before(async () => {
        dev = await stack();
    });

    it("finds nothing wrong with the dev stack, with either strategy", async () => {
        expect(await runPolicies(dev, { stack: "dev" })).to.deep.equal([]);
        expect(await runPolicies(await stack({ strategy: "map" }), { stack: "dev" })).to.deep.equal([]);
    });

    it("records on the state machine, as tags, what the policies need: the declared limits and the per-job figures", () => {
        const sm = dev.resources.find((r) => r.type === STATE_MACHINE)!;
        // dev: 128-byte jobs, at most 1,000; growth ,"firstResult":"success" (24) + ,"secondResult":"success" (25) + ,"done":true (12).
        expect(sm.inputs.tags).to.deep.equal({
            [TAG.strategy]: "iterator",
            [TAG.maxJobs]: "1000",
            [TAG.maxJobBytes]: "128",
            [TAG.growthPerJobBytes]: "61",
            [TAG.transientBytes]: "0",
            // MoveToEnd's Parameters around the state: the action and the settings, with the job store's
            // bucket name at its longest (63 characters), as it is counted before the bucket exists.
            [TAG.taskOverheadBytes]: String(JSON.stringify({ action: "advance", state: null, settings: longestSettings(JSON.parse(sm.inputs.definition as string).States.MoveToEnd.Parameters.settings) }).length - 4),
            [TAG.historyEventsPerJob]: "11",
            [TAG.fixedHistoryEvents]: "11",
            // Hands over by default: (25,000 × 0.9 − 11 − 13) / 11.
            [TAG.jobsPerExecution]: "2043",
            // Read by reference, 128-byte lines (limits.maxJobBytes), as many as fit 80% of the limit.
            [TAG.windowJobs]: String((dev.outputs.capacity as { byReference: { windowJobs: number } }).byReference.windowJobs),
            [TAG.lineBytes]: "128",
        });
    });

    describe(payloadBudget.name, () => {
        it("passes dev's 1,000 jobs of 128 bytes and fails 2,000 of 64 (about 252 KB, over 80% of 256 KiB)", async () => {
            expect(await check(payloadBudget, dev)).to.deep.equal([]);
            const [v, ...more] = await check(payloadBudget, await stack({ limits: { maxJobs: 2000, maxJobBytes: 64 } }));
            expect(more).to.deep.equal([]);
            expect(v.level).to.equal("mandatory");
            expect(v.resource?.type).to.equal(STATE_MACHINE);
            expect(v.message).to.contain("2,000 jobs of 64 bytes").and.to.contain("over the 209,715-byte budget (80% of Step Functions' 262,144-byte limit");
        });

        it("takes its share of the limit from config", async () => {
            // A quarter of the limit holds neither the declared 1,000 jobs nor a window sized for 80%.
            expect(messages(await check(payloadBudget, dev, { maxShareOfLimit: 0.25 })).map((m) => m.split(",")[0])).to.deep.equal([
                "its largest state",
                "reading jobs by reference",
            ]);
            expect(await check(payloadBudget, await stack({ limits: { maxJobs: 2000, maxJobBytes: 64 } }), { maxShareOfLimit: 1 })).to.deep.equal([]);
        });

        it("by reference at a stricter share, names the largest window that fits it, and that window passes", async () => {
            const byRef = (await check(payloadBudget, dev, { maxShareOfLimit: 0.25 })).find((v) => v.message.startsWith("reading jobs by reference"))!;
            const advised = Number(/Set jobStore\.windowJobs to at most ([\d,]+) /.exec(byRef.message)?.[1].replace(/,/g, ""));
            expect(advised).to.be.within(1, (dev.outputs.capacity as { byReference: { windowJobs: number } }).byReference.windowJobs - 1);
            const windowMessages = async (windowJobs: number) =>
                messages(await check(payloadBudget, await stack({ jobStore: { windowJobs } }), { maxShareOfLimit: 0.25 })).filter((m) => m.startsWith("reading jobs by reference"));
            expect(await windowMessages(advised)).to.deep.equal([]);
            expect(await windowMessages(advised + 1)).to.have.length(1);
        });

        it("holds a map workflow to the same budget", async () => {
            expect(await check(payloadBudget, await stack({ strategy: "map" }))).to.deep.equal([]);
            expect(await check(payloadBudget, await stack({ strategy: "map", limits: { maxJobs: 2000, maxJobBytes: 64 } }))).to.have.length(1);
        });

        it("counts what a lambda step may return (maxResultBytes), not only the job", async () => {
            const steps = [{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: fnArn("t"), maxResultBytes: 2000 }];
            expect(messages(await check(payloadBudget, await stack({ steps, limits: { maxJobs: 100, maxJobBytes: 64 } })))).to.deep.equal([]);
            expect(await check(payloadBudget, await stack({ steps, limits: { maxJobs: 200, maxJobBytes: 64 } }))).to.have.length(1);
        });

        it("refuses the reported hand-over case at its default share; passed at a higher share, the run now succeeds with every job", async () => {
            const config = { handOver: { jobsPerExecution: 600 }, limits: { maxJobs: 1200, maxJobBytes: 112 } };
            const [v, ...more] = await check(payloadBudget, await stack(config));
            expect(more).to.deep.equal([]);
            expect(v.message).to.match(/^its largest state, HandOver's task result \(the new execution's input as a JSON string, and its output\), would be about [\d,]+ bytes/);
            expect(await check(payloadBudget, await stack(config), { maxShareOfLimit: 0.95 })).to.deep.equal([]);
            const run = await prepareStack("dev", Object.fromEntries(Object.entries(config).map(([k, val]) => [`iterator-workflow:${k}`, JSON.stringify(val)])));
            const jobs = jobsOf(1200, 112);
            const report = await executeStack(run, { jobs });
            expect(report.status, JSON.stringify(report.error)).to.equal("SUCCEEDED");
            expect((report.output as { jobs: { i: number; done: boolean }[] }).jobs.map((j) => [j.i, j.done])).to.deep.equal(jobs.map((j) => [j.i, true]));
            expect(report.executions).to.equal(2);
        });

        it("whenever it passes a stack, a run of limits.maxJobs jobs of limits.maxJobBytes succeeds, and no state is larger than it counted", async () => {
            await fc.assert(
                fc.asyncProperty(
                    fc.integer({ min: 600, max: 4000 }),
                    fc.integer({ min: 120_000, max: 300_000 }),
                    fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 3 }),
                    fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
                    async (maxJobBytes, target, results, per) => {
                        const steps = results.map((result, i) => ({ kind: "pass", name: `Step${i}`, resultKey: `r${i}`, result }));
                        const maxJobs = Math.max(1, Math.round(target / (maxJobBytes + 40 + results.reduce((sum, r) => sum + JSON.stringify(r).length, 0))));
                        const config = { steps, limits: { maxJobs, maxJobBytes }, handOver: per === undefined ? false : { jobsPerExecution: per } };
                        const synth = await stack(config);
                        // At its highest share the budget is MoveToEnd's own: what passes must never stop there either.
                        const passes = (await check(payloadBudget, synth, { maxShareOfLimit: 1 })).length === 0;
                        if (!passes) return;
                        const facts = JSON.parse(JSON.stringify(synth.resources.find((r) => r.type === STATE_MACHINE)!.inputs.tags));
                        const run = await prepareStack("dev", Object.fromEntries(Object.entries(config).map(([k, val]) => [`iterator-workflow:${k}`, JSON.stringify(val)])));
                        const report = await executeStack(run, { jobs: jobsOf(maxJobs, maxJobBytes) });
                        expect(report.status, `${JSON.stringify(config)}: ${JSON.stringify(report.error)}`).to.equal("SUCCEEDED");
                        const counted = peakState({
                            strategy: "iterator",
                            maxJobs,
                            maxJobBytes,
                            growthPerJobBytes: Number(facts[TAG.growthPerJobBytes]),
                            transientBytes: Number(facts[TAG.transientBytes]),
                            taskOverheadBytes: Number(facts[TAG.taskOverheadBytes]),
                            jobsPerExecution: per,
                        });
                        expect(report.peakPayloadBytes).to.be.at.most(counted.bytes);
                    },
                ),
                { numRuns: 12 },
            );
        });
    });

    describe(limitsDeclared.name, () => {
        it("advises a workflow without limits to declare them, naming what is missing", async () => {
            expect(await check(limitsDeclared, dev)).to.deep.equal([]);
            const violations = await check(limitsDeclared, await stack({ limits: { maxJobs: 10 } }));
            expect(violations.map((v) => v.level)).to.deep.equal(["advisory"]);
            expect(violations[0].message).to.match(/^it declares no limits\.maxJobBytes, so its payload and history budgets cannot be checked/);
        });
    });

    describe(smallLiterals.name, () => {
        const bulky = [{ kind: "pass", name: "Attach", resultKey: "template", result: { body: "x".repeat(5000) } }];

        it("fails a Pass Result over 4 KiB, naming the state", async () => {
            expect(await check(smallLiterals, dev)).to.deep.equal([]);
            const violations = await check(smallLiterals, await stack({ steps: bulky }));
            expect(messages(violations)).to.have.length(1);
            expect(violations[0].message).to.match(/^state "Attach" carries a Result of 5,011 bytes, over the 4,096-byte limit for literals/);
        });

        it("finds the same literal inside a map workflow's item processor", async () => {
            const [v, ...more] = await check(smallLiterals, await stack({ steps: bulky, strategy: "map" }));
            expect(more).to.deep.equal([]);
            expect(v.message).to.match(/^state "ProcessJobs > ItemProcessor > Attach" carries a Result of 5,011 bytes/);
        });

        it("fails large task Parameters too, and takes its limit from config", async () => {
            const steps = [{ kind: "task", name: "Notify", resultKey: "sent", resource: "arn:aws:states:::sns:publish", parameters: { TopicArn: "arn:aws:sns:us-east-1:123456789012:t", Message: "m".repeat(600) } }];
            expect(await check(smallLiterals, await stack({ steps }))).to.deep.equal([]);
            expect(messages(await check(smallLiterals, await stack({ steps }), { maxLiteralBytes: 512 }))[0]).to.match(/^state "Notify" carries a Parameters of /);
            expect(await check(smallLiterals, await stack({ steps: bulky }), { maxLiteralBytes: 8192 })).to.deep.equal([]);
        });
    });

    describe(lambdaResultsTrimmed.name, () => {
        const invoke = { kind: "task", name: "Invoke", resultKey: "out", resource: "arn:aws:states:::lambda:invoke", parameters: { FunctionName: fnArn("f"), "Payload.$": "$" } };

        it("advises trimming a lambda:invoke task that keeps the whole response; a ResultSelector passes", async () => {
            expect(await check(lambdaResultsTrimmed, dev)).to.deep.equal([]);
            const violations = await check(lambdaResultsTrimmed, await stack({ steps: [invoke] }));
            expect(violations.map((v) => [v.level, v.message.split(" (")[0]])).to.deep.equal([["advisory", 'state "Invoke" keeps the whole lambda:invoke response']]);
            expect(await check(lambdaResultsTrimmed, await stack({ steps: [{ ...invoke, resultSelector: { "text.$": "$.Payload.text" } }] }))).to.deep.equal([]);
            expect(messages(await check(lambdaResultsTrimmed, await stack({ steps: [invoke], strategy: "map" })))[0]).to.match(/^state "ProcessJobs > ItemProcessor > Invoke" keeps/);
        });
    });

    describe(definitionSize.name, () => {
        it("passes the dev definition and fails it under a limit set in config", async () => {
            expect(await check(definitionSize, dev)).to.deep.equal([]);
            const [v] = await check(definitionSize, dev, { maxCharacters: 1000 });
            expect(v.message).to.match(/^its definition is [\d,]+ characters, over the 1,000-character limit/);
        });

        it("fails a definition past 64 KiB by default", async () => {
            const steps = Array.from({ length: 20 }, (_, i) => ({ kind: "pass", name: `S${i}`, resultKey: `r${i}`, result: "y".repeat(3500) }));
            expect(messages(await check(definitionSize, await stack({ steps })))[0]).to.match(/over the 65,536-character limit/);
        });
    });

    describe(historyBudget.name, () => {
        it("without hand-over, passes 1,000 dev jobs (11,011 events) and fails 2,500 (27,511, over 22,500)", async () => {
            expect(await check(historyBudget, await stack({ handOver: false }))).to.deep.equal([]);
            const [v] = await check(historyBudget, await stack({ limits: { maxJobs: 2500, maxJobBytes: 8 }, handOver: false }));
            expect(v.message).to.match(/^2,500 jobs at 11 history events each take 27,511 events, over the 22,500-event budget \(25,000 less a 10% margin\)/);
        });

        it("passes any list when the workflow hands over in time, and fails a hand-over set too late", async () => {
            expect(await check(historyBudget, await stack({ limits: { maxJobs: 100_000, maxJobBytes: 2 } }))).to.deep.equal([]);
            const [v] = await check(historyBudget, await stack({ handOver: { jobsPerExecution: 2100 } }));
            expect(v.message).to.equal("it hands over after 2,100 jobs, which take 23,111 history events (11 per job), over the 22,500-event budget (25,000 less a 10% margin); hand over sooner.");
        });

        it("holds a map workflow, whose iterations all count in one execution, to the budget (8 + 10 a job)", async () => {
            expect(await check(historyBudget, await stack({ strategy: "map" }))).to.deep.equal([]);
            const [v] = await check(historyBudget, await stack({ strategy: "map", limits: { maxJobs: 2500, maxJobBytes: 8 } }));
            expect(v.message).to.match(/^2,500 jobs at 10 history events each take 25,008 events, over the 22,500-event budget/);
        });

        it("does not apply to Express workflows, which have no history limit", async () => {
            expect(await check(historyBudget, await stack({ limits: { maxJobs: 2500, maxJobBytes: 8 }, type: "EXPRESS", handOver: false }))).to.deep.equal([]);
        });

        it("takes its margin from config", async () => {
            expect(messages(await check(historyBudget, dev, { marginPercent: 60 }))[0]).to.contain("over the 10,000-event budget (25,000 less a 60% margin); hand over sooner");
        });
    });

    describe(invokeScope.name, () => {
        it("fails a state machine role that may invoke any function, naming the role policy", async () => {
            expect(await check(invokeScope, dev)).to.deep.equal([]);
            const steps = [{ kind: "task", name: "Any", resultKey: "r", resource: "arn:aws:states:::lambda:invoke", resultSelector: { "v.$": "$.Payload" }, parameters: { "FunctionName.$": "$.fn" }, policyStatements: [{ Action: "lambda:Invoke*", Resource: "*" }] }];
            const [v, ...more] = await check(invokeScope, await stack({ steps }));
            expect(more).to.deep.equal([]);
            expect(v.resource).to.deep.include({ type: "aws:iam/rolePolicy:RolePolicy", name: "iterator-states" });
            expect(v.message).to.equal(
                'RolePolicy iterator-states of state machine role iterator-states: it allows lambda:InvokeFunction on "*"; name the exact function ARNs the state machine invokes (an alias or version ARN if it invokes one)',
            );
        });

        it("finds a broad grant in a hand-made state machine role's inline policy or managed policy, and leaves other roles alone", async () => {
            const synth = await synthesize({}, "test", async () => {
                const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }] });
                const broad = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
                const role = new aws.iam.Role("hand-made", { assumeRolePolicy: trust, inlinePolicies: [{ name: "all", policy: broad }], managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaRole"] });
                const lambdaTrust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
                new aws.iam.Role("not-a-workflow", { assumeRolePolicy: lambdaTrust, inlinePolicies: [{ name: "all", policy: broad }] });
                const machine = new aws.sfn.StateMachine("hand-made", { roleArn: role.arn, definition: JSON.stringify({ StartAt: "A", States: { A: { Type: "Pass", End: true } } }) });
                return { arn: machine.arn };
            });
            const violations = await check(invokeScope, synth);
            expect(violations.map((v) => `${v.resource?.name}: ${v.message.split(";")[0]}`)).to.deep.equal([
                'hand-made: role hand-made of state machine role hand-made: it allows lambda:InvokeFunction on "*"',
                'hand-made: role hand-made of state machine role hand-made: the managed policy arn:aws:iam::aws:policy/service-role/AWSLambdaRole allows lambda:InvokeFunction on "*"',
            ]);
        });

        it("reads IAM's wildcards in actions and resources", () => {
            const doc = (statement: object) => ({ Statement: [{ Effect: "Allow", ...statement }] });
            expect(broadInvokeGrants(doc({ Action: "lambda:InvokeFunction", Resource: [fnArn("a"), fnArn("b")] }))).to.deep.equal([]);
            expect(broadInvokeGrants(doc({ Action: "LAMBDA:invoke?unction", Resource: fnArn("*") }))).to.have.length(1);
            expect(broadInvokeGrants(doc({ Action: "s3:GetObject", Resource: "*" }))).to.deep.equal([]);
            expect(broadInvokeGrants(doc({ NotAction: "s3:*", Resource: "*" }))).to.have.length(1);
            expect(broadInvokeGrants(doc({ Action: "lambda:*", NotResource: fnArn("x") }))).to.have.length(1);
            expect(broadInvokeGrants({ Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] })).to.deep.equal([]);
        });
    });

    describe(invokeScopeBeforeCreate.name, () => {
        const found = (violations: Violation[]) => violations.map((v) => [v.level, `${v.resource?.type.split(":").pop()} ${v.resource?.name}`, v.message]);

        it("during up, refuses the component's role policy that lets the state machine invoke any function, and leaves the Lambda role's alone", async () => {
            expect(await check(invokeScopeBeforeCreate, asDuringUp(await stack()))).to.deep.equal([]);
            const synth = asDuringUp(await stack({ steps: [INVOKE_ANY_STEP] }));
            synth.resources.find((r) => r.type === ROLE_POLICY && r.name === "iterator-move-to-end")!.inputs.policy = INVOKE_ANY;
            expect(found(await check(invokeScopeBeforeCreate, synth))).to.deep.equal([
                ["mandatory", "RolePolicy iterator-states", `RolePolicy iterator-states of state machine role iterator-states: it allows lambda:InvokeFunction on "*"; ${REMEDY}`],
            ]);
        });

        it("on a first preview, notes the role policies whose role or document is not known yet, and never fails one", async () => {
            const both = await check(invokeScopeBeforeCreate, asFirstPreview(await stack({ steps: [INVOKE_ANY_STEP] })));
            expect(found(both)).to.deep.equal(
                ["iterator-move-to-end", "iterator-states", "iterator-states-handover"].map((name) => ["advisory", `RolePolicy ${name}`, NOTE("role")]),
            );
            // The wildcard is known, its role is not: a note, not a violation. The other policies grant no wildcard, so their role does not matter.
            expect(found(await check(invokeScopeBeforeCreate, asFirstPreview(await stack({ steps: [INVOKE_ANY_STEP] }), ["role"])))).to.deep.equal([
                ["advisory", "RolePolicy iterator-states", NOTE("role")],
            ]);
            // The role is known to be the state machine's, its document is not.
            const documentUnknown = await check(invokeScopeBeforeCreate, asFirstPreview(await stack({ steps: [INVOKE_ANY_STEP] }), ["policy"]));
            expect(found(documentUnknown)).to.deep.equal([
                ["advisory", "RolePolicy iterator-states", NOTE("policy")],
                ["advisory", "RolePolicy iterator-states-handover", NOTE("policy")],
            ]);
        });

        it("ties role policies, attached managed policies and inline policies to a role trusting Step Functions, by the role name they give", async () => {
            const synth = await synthesize({}, "test", async () => {
                const broad = new aws.iam.Policy("broad", { name: "broad-invoke", path: "/workflows/", policy: INVOKE_ANY });
                const broadArn = pulumi.interpolate`arn:aws:iam::${ACCOUNT}:policy/workflows/${broad.name}`;
                const roles = {
                    pipeline: new aws.iam.Role("pipeline", {
                        name: "pipeline-role",
                        assumeRolePolicy: trust("states.amazonaws.com"),
                        inlinePolicies: [{ name: "any", policy: INVOKE_ANY }],
                        managedPolicyArns: ["arn:aws-cn:iam::aws:policy/service-role/AWSLambdaRole", broadArn],
                    }),
                    worker: new aws.iam.Role("worker", { name: "worker-role", assumeRolePolicy: trust("lambda.amazonaws.com"), inlinePolicies: [{ name: "any", policy: INVOKE_ANY }] }),
                };
                const grants = Object.entries(roles).flatMap(([key, role]) => [
                    new aws.iam.RolePolicy(`${key}-any`, { role: role.name, policy: INVOKE_ANY }),
                    new aws.iam.RolePolicyAttachment(`${key}-broad`, { role: role.name, policyArn: broadArn }),
                    new aws.iam.RolePolicyAttachment(`${key}-lambda-role`, { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaRole" }),
                ]);
                return registered(...grants);
            });
            const mine = (problem: string) => `of state machine role pipeline: ${problem}; ${REMEDY}`;
            // In the order the program registers them, which the role names' Outputs decide.
            expect(found(await check(invokeScopeBeforeCreate, synth))).to.have.deep.members([
                ["mandatory", "Role pipeline", `role pipeline ${mine('it allows lambda:InvokeFunction on "*"')}`],
                ["mandatory", "Role pipeline", `role pipeline ${mine('the managed policy arn:aws-cn:iam::aws:policy/service-role/AWSLambdaRole allows lambda:InvokeFunction on "*"')}`],
                ["mandatory", "Role pipeline", `role pipeline ${mine('the policy broad allows lambda:InvokeFunction on "*"')}`],
                ["mandatory", "RolePolicy pipeline-any", `RolePolicy pipeline-any ${mine('it allows lambda:InvokeFunction on "*"')}`],
                ["mandatory", "RolePolicyAttachment pipeline-broad", `RolePolicyAttachment pipeline-broad ${mine('the policy broad allows lambda:InvokeFunction on "*"')}`],
                ["mandatory", "RolePolicyAttachment pipeline-lambda-role", `RolePolicyAttachment pipeline-lambda-role ${mine('the managed policy arn:aws:iam::aws:policy/service-role/AWSLambdaRole allows lambda:InvokeFunction on "*"')}`],
            ]);
        });

        it("remembers roles within one run only: a run that names a role from an earlier run judges nothing", async () => {
            const role = () => new aws.iam.Role("pipeline", { name: "pipeline-role", assumeRolePolicy: trust("states.amazonaws.com") });
            // The role by its literal name: nothing but dependsOn orders it after the role.
            const grant = (after: pulumi.Resource[] = []) => new aws.iam.RolePolicy("any", { role: "pipeline-role", policy: INVOKE_ANY }, { dependsOn: after });
            const earlier = await synthesize({}, "test", async () => registered(role()));
            const later = await synthesize({}, "test", async () => registered(grant()));
            const both = await synthesize({}, "test", async () => {
                const pipeline = role();
                return registered(pipeline, grant([pipeline]));
            });
            expect(found(await check(invokeScopeBeforeCreate, both))).to.have.length(1);
            expect(await check(invokeScopeBeforeCreate, earlier)).to.deep.equal([]);
            expect(await check(invokeScopeBeforeCreate, later)).to.deep.equal([]);
        });
    });

    describe("during a first preview, with values not known yet", () => {
        it("skips, with an advisory note, the policies that need the definition, and still checks the budgets from the tags", async () => {
            const synth = await stack({ limits: { maxJobs: 2000, maxJobBytes: 64 } });
            const sm = synth.resources.find((r) => r.type === STATE_MACHINE)!;
            sm.inputs.definition = unknownStringValue;
            const violations = await runPolicies(synth, { stack: "dev" });
            const notes = violations.filter((v) => v.message.startsWith("can't run policy"));
            expect(notes.map((v) => [v.policy, v.level])).to.deep.equal([
                [smallLiterals.name, "advisory"],
                [lambdaResultsTrimmed.name, "advisory"],
                [definitionSize.name, "advisory"],
                // Which Task states need which grants is read from the definition too.
                [taskGrantsPolicy.name, "advisory"],
            ]);
            expect(notes[0].message).to.equal(`can't run policy '${smallLiterals.name}' from policy pack 'iterator-workflow@v0.1.0' during preview: string value at .definition can't be known during preview`);
            expect(mandatory(violations).map((v) => v.policy)).to.deep.equal([payloadBudget.name]);
        });
    });

    it("reports a tag edited into something that is not a number, instead of guessing", async () => {
        const synth = await stack();
        const sm = synth.resources.find((r) => r.type === STATE_MACHINE)!;
        (sm.inputs.tags as Record<string, string>)[TAG.maxJobs] = "lots";
        expect(messages(await check(payloadBudget, synth))).to.deep.equal([`tag ${TAG.maxJobs} must be a whole number, got "lots"`]);
    });

    it("rejects policy config the schemas do not allow, in one line naming the policy and the field", async () => {
        const bad: [PolicyPackConfig, string][] = [
            [{ "no-such-policy": "advisory" }, 'policy pack config: "no-such-policy" is not a policy of iterator-workflow'],
            [{ [payloadBudget.name]: { maxShareOfLimit: 2 } }, `policy pack config: ${payloadBudget.name}.maxShareOfLimit must be <= 1`],
            [{ [historyBudget.name]: { margin: 5 } }, `policy pack config: ${historyBudget.name}.margin must NOT have additional properties`],
            [{ [definitionSize.name]: { enforcementLevel: "strict" as never } }, `policy pack config: ${definitionSize.name}.enforcementLevel must be one of advisory, mandatory, remediate, disabled, got "strict"`],
        ];
        for (const [config, message] of bad) {
            const err = await rejection(runPolicies(dev, { stack: "dev", config }));
            expect(err).to.be.instanceOf(PolicyConfigError);
            expect(err.message).to.contain(message);
        }
    });

    it("lets config change a policy's enforcement level or turn it off", async () => {
        const synth = await stack({ limits: { maxJobs: 2500, maxJobBytes: 8 }, handOver: false });
        expect((await runPolicies(synth, { stack: "dev", config: { [historyBudget.name]: "advisory" } })).map((v) => v.level)).to.deep.equal(["advisory"]);
        expect(await runPolicies(synth, { stack: "dev", config: { [historyBudget.name]: "disabled" } })).to.deep.equal([]);
    });

    it("gives every policy a description, a remediation and a config default for each threshold", () => {
        for (const policy of policies) {
            expect(policy.description, policy.name).to.have.length.above(40);
            expect(policy.remediationSteps, policy.name).to.have.length.above(20);
            for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
                expect((schema as { default?: unknown }).default, `${policy.name}.${key}`).not.to.equal(undefined);
            }
        }
    });
});

describe("the policy pack served over Pulumi's analyzer protocol, as pulumi preview --policy-pack runs it", () => {
    let analyzer: Analyzer;
    let machine: Record<string, unknown>;
    before(async () => {
        analyzer = await Analyzer.start();
        const synth = await stack({ limits: { maxJobs: 2000, maxJobBytes: 64 } });
        machine = synth.resources.find((r) => r.type === STATE_MACHINE)!.inputs;
    });
    after(() => analyzer?.stop());

    it("loads policies/index.ts and declares every policy with its enforcement level", async () => {
        expect(await analyzer.info()).to.deep.equal({
            name: "iterator-workflow",
            version: "0.1.0",
            policies: policies.map((p) => `${p.name} (${p.enforcementLevel})`),
        });
    });

    it("reports the synthesized state machine's violations, and only notes the policies an unknown definition keeps from running", async () => {
        const known = await analyzer.analyze(STATE_MACHINE, "iterator", machine);
        expect(known.map((d) => [d.policy, d.level])).to.deep.equal([[payloadBudget.name, "mandatory"]]);
        expect(known[0].message).to.contain("its largest state, MoveToEnd's input at the last job, would be about");

        const preview = await analyzer.analyze(STATE_MACHINE, "iterator", { ...machine, definition: UNKNOWN });
        expect(preview.map((d) => [d.policy, d.level])).to.deep.equal([
            [payloadBudget.name, "mandatory"],
            [smallLiterals.name, "advisory"],
            [lambdaResultsTrimmed.name, "advisory"],
            [definitionSize.name, "advisory"],
        ]);
        expect(preview[1].message).to.contain("during preview: string value at .definition can't be known during preview");
    });
    it(`${invokeScopeBeforeCreate.name}: refuses, resource by resource, a wildcard grant to a role trusting Step Functions, and only notes one whose role is not known yet`, async () => {
        const mine = async (type: string, name: string, props: Record<string, unknown>) => (await analyzer.analyze(type, name, props)).filter((d) => d.policy === invokeScopeBeforeCreate.name).map((d) => [d.level, d.message]);
        const role = { name: "wf-states-1a2b3c4", assumeRolePolicy: trust("states.amazonaws.com") };
        // During up: the role is analyzed first, then its policy, naming it.
        expect(await mine("pulumi:pulumi:Stack", "iterator-workflow-dev", {})).to.deep.equal([]);
        expect(await mine(ROLE, "wf-states", role)).to.deep.equal([]);
        expect(await mine(ROLE_POLICY, "wf-states", { role: "wf-states-1a2b3c4", policy: INVOKE_ANY })).to.deep.equal([
            ["mandatory", `${invokeScopeBeforeCreate.description}\nRolePolicy wf-states of state machine role wf-states: it allows lambda:InvokeFunction on "*"; ${REMEDY}`],
        ]);
        expect(await mine(ROLE_POLICY, "wf-lambda", { role: "wf-lambda-5d6e7f8", policy: INVOKE_ANY })).to.deep.equal([]);
        // A first preview, a new run: the role's id and the document are unknown.
        expect(await mine("pulumi:pulumi:Stack", "iterator-workflow-dev", {})).to.deep.equal([]);
        expect(await mine(ROLE, "wf-states", role)).to.deep.equal([]);
        expect(await mine(ROLE_POLICY, "wf-states", { role: UNKNOWN, policy: UNKNOWN })).to.deep.equal([["advisory", NOTE("role")]]);
        // Another run, without the role: its name proves nothing.
        expect(await mine("pulumi:pulumi:Stack", "iterator-workflow-dev", {})).to.deep.equal([]);
        expect(await mine(ROLE_POLICY, "wf-states", { role: "wf-states-1a2b3c4", policy: INVOKE_ANY })).to.deep.equal([]);
    });
});

describe("npm run policy and npm start with the policy pack", () => {
    const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", script, ...args], { cwd: ROOT, encoding: "utf8" });
    let strict: string;
    before(() => {
        strict = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-")), "strict.json");
        fs.writeFileSync(strict, JSON.stringify({ [payloadBudget.name]: { maxShareOfLimit: 0.1 } }));
    });

    it("npm run policy prints no violations for dev and exits 0", () => {
        const res = run("scripts/policy.ts", "--stack", "dev");
        expect(res.status, res.stderr).to.equal(0);
        expect(res.stdout).to.contain("iterator-workflow@v0.1.0 (local: policies)").and.to.contain("no violations");
    });

    it("npm run policy lists a mandatory violation as pulumi preview does and exits with the policy-block code", () => {
        const res = run("scripts/policy.ts", "--policy-pack-config", strict);
        expect(res.status).to.equal(EXIT.policyBlocked);
        expect(res.stdout).to.match(/- \[mandatory\] {2}iterator-workflow-payload-budget {2}\(aws:sfn\/stateMachine:StateMachine: iterator\)\n {10}its largest state, MoveToEnd's input at the last job, would be about/);
    });

    it("npm start refuses to run a stack the pack blocks, in one error line after the report", () => {
        const res = run("local/start.ts", "--policy-pack-config", strict);
        expect(res.status).to.equal(EXIT.policyBlocked);
        expect(res.stdout).not.to.contain("job 1/2 done");
        // 10% of the limit is too little both for the declared list and for a window read by reference.
        expect(res.stderr.trimEnd().split("\n").pop()).to.equal("error: the policy pack blocks stack dev: 2 mandatory violation(s), listed above; nothing was run");
    });

    it("names a missing config file in one line", () => {
        const res = run("scripts/policy.ts", "--policy-pack-config", "nope.json");
        expect(res.status).to.equal(EXIT.badInput);
        expect(res.stderr).to.equal("error: policy pack config file nope.json does not exist\n");
    });
});
