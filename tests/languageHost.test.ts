// `pulumi up` without the CLI: the program started through @pulumi/pulumi/cmd/run exactly as the engine
// and pulumi-language-nodejs start it, against an in-process ResourceMonitor and Engine (helpers/languageHost).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { pwdMain, runWithLanguageHost, startEngine, UNKNOWN, type HostRun, type RegisteredResource } from "./helpers/languageHost";
/* eslint-disable @typescript-eslint/no-require-imports */
const resourceServices = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resourceMessages = require("@pulumi/pulumi/proto/resource_pb");
const engineServices = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineMessages = require("@pulumi/pulumi/proto/engine_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.join(__dirname, "..");
import { ACCOUNT } from "../local/synth";
const COMPONENT = "iterator-workflow:index:IteratorWorkflow";
const STACK_URN = "urn:pulumi:dev::iterator-workflow::pulumi:pulumi:Stack::iterator-workflow-dev";
const COMPONENT_URN = `urn:pulumi:dev::iterator-workflow::${COMPONENT}::iterator`;
const childUrn = (type: string, name: string) => `urn:pulumi:dev::iterator-workflow::${COMPONENT}$${type}::${name}`;
const MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:iterator`;

/** What tests/component.test.ts asserts the component creates, for a workflow named `name`. */
const children = (name: string) =>
    [
        `aws:cloudwatch/logGroup:LogGroup ${name}-move-to-end`,
        `aws:cloudwatch/logGroup:LogGroup ${name}-states`,
        `aws:iam/role:Role ${name}-move-to-end`,
        `aws:iam/role:Role ${name}-states`,
        `aws:iam/rolePolicy:RolePolicy ${name}-move-to-end`,
        `aws:iam/rolePolicy:RolePolicy ${name}-states`,
        `aws:iam/rolePolicy:RolePolicy ${name}-states-handover`,
        `aws:kms/key:Key ${name}-alarms`,
        `aws:sns/topic:Topic ${name}-alarms`,
        `aws:sns/topicPolicy:TopicPolicy ${name}-alarms`,
        `aws:cloudwatch/metricAlarm:MetricAlarm ${name}-failed`,
        `aws:cloudwatch/metricAlarm:MetricAlarm ${name}-timed-out`,
        `aws:cloudwatch/metricAlarm:MetricAlarm ${name}-aborted`,
        `aws:cloudwatch/metricAlarm:MetricAlarm ${name}-throttled`,
        `aws:lambda/function:Function ${name}-move-to-end`,
        `aws:sfn/stateMachine:StateMachine ${name}`,
        `aws:s3/bucket:Bucket ${name}-jobs`,
        `aws:s3/bucketOwnershipControls:BucketOwnershipControls ${name}-jobs`,
        `aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock ${name}-jobs`,
        `aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration ${name}-jobs`,
    ].sort();

/** The files of this project that `pulumi up` needs, copied to `dir`, with the repository's node_modules linked. */
function copyProject(dir: string): string {
    fs.mkdirSync(dir, { recursive: true });
    for (const file of ["package.json", "Pulumi.yaml", "Pulumi.dev.yaml", "tsconfig.json", "tsconfig.build.json", "index.ts"]) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    for (const folder of ["components", "functions"]) fs.cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

function build(dir: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const tsc = spawn(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        tsc.stdout.on("data", (d) => (output += d));
        tsc.stderr.on("data", (d) => (output += d));
        tsc.once("error", reject);
        tsc.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json failed (${code}): ${output}`))));
    });
}

/**
 * The fixture project with iterator-workflow installed as npm installs a package: its package.json
 * and what it ships (dist/) under node_modules/iterator-workflow, next to its dependencies.
 */
function installFixture(dir: string, built: string): string {
    fs.cpSync(path.join(__dirname, "fixtures", "top-level-program"), dir, { recursive: true });
    const modules = path.join(dir, "node_modules");
    fs.mkdirSync(modules);
    for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry));
    const pkg = path.join(modules, "iterator-workflow");
    fs.mkdirSync(pkg);
    fs.copyFileSync(path.join(built, "package.json"), path.join(pkg, "package.json"));
    fs.cpSync(path.join(built, "dist"), path.join(pkg, "dist"), { recursive: true });
    return dir;
}

const one = (run: HostRun, type: string, name: string): RegisteredResource => {
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0];
};
const childrenOf = (run: HostRun, urn: string) => run.resources.filter((r) => r.parent === urn).map((r) => `${r.type} ${r.name}`).sort();

/** A run that finished as `pulumi up` needs it to: exit 0, no error logged, nothing the engine could not answer. */
function expectCleanRun(run: HostRun): void {
    expect(run.log.error, run.stderr).to.deep.equal([]);
    expect(run.unhandled).to.deep.equal([]);
    expect(run.exitCode, run.stderr).to.equal(0);
    expect(run.shutdownSignalled).to.equal(true);
}

/** What index.ts must register and export for stack dev. */
function expectIndexTs(run: HostRun): void {
    expectCleanRun(run);
    const stack = one(run, "pulumi:pulumi:Stack", "iterator-workflow-dev");
    expect(stack).to.deep.include({ urn: STACK_URN, parent: "" });
    const component = one(run, COMPONENT, "iterator");
    expect(component).to.deep.include({ urn: COMPONENT_URN, parent: STACK_URN, custom: false });
    expect(childrenOf(run, COMPONENT_URN)).to.deep.equal(children("iterator"));
    expect(run.resources).to.have.length(2 + children("iterator").length);
    for (const child of run.resources.filter((r) => r.parent === COMPONENT_URN)) expect(child).to.deep.include({ urn: childUrn(child.type, child.name), custom: true });
    expect(one(run, "aws:iam/rolePolicy:RolePolicy", "iterator-states-handover").propertyDependencies.role).to.deep.equal([childUrn("aws:iam/role:Role", "iterator-states")]);

    const machine = one(run, "aws:sfn/stateMachine:StateMachine", "iterator");
    const outputs = run.stackOutputs!;
    expect(Object.keys(outputs).sort()).to.deep.equal(["alarmTopicArn", "capacity", "definition", "jobStoreBucket", "moveToEndFunctionName", "startExecutionCommand", "stateMachineArn", "stateMachineName"]);
    expect(outputs).to.deep.include({ stateMachineArn: MACHINE_ARN, stateMachineName: "iterator", moveToEndFunctionName: "iterator-move-to-end", jobStoreBucket: "iterator-jobs" });
    // (25,000 × 0.9 − 11 fixed − 13 per hand-over) / 11 = 2,043 jobs per execution, as component.test.ts has it.
    expect(outputs.capacity).to.deep.include({ transitionsPerJob: 4, historyEventsPerJob: 11, maxJobsByHistory: null, jobsPerExecution: 2043 });
    // The definition exported is the one deployed, and names the function ARN this engine returned.
    expect(outputs.definition).to.equal(machine.inputs.definition);
    expect(JSON.parse(outputs.definition as string).States.Prepare.Resource).to.equal(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:iterator-move-to-end`);
    expect(outputs.startExecutionCommand).to.equal(`aws stepfunctions start-execution --state-machine-arn ${MACHINE_ARN} --input '{"jobs":[{"name":"First job"},{"name":"Second job"}]}'`);
}

describe("pulumi up through Pulumi's Node language host entry (@pulumi/pulumi/cmd/run, gRPC engine)", () => {
    let work: string;
    let noDist: string;
    let withDist: string;
    /** Settles once tsc has built withDist's dist/; the runs that need no dist/ go on meanwhile. */
    let built: Promise<void>;
    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "language-host-"));
        noDist = copyProject(path.join(work, "no-dist"));
        withDist = copyProject(path.join(work, "with-dist"));
        built = build(withDist);
        built.catch(() => undefined); // reported by the tests that await it
    });
    after(async () => {
        await built?.catch(() => undefined);
        fs.rmSync(work, { recursive: true, force: true });
    });

    describe("index.ts for stack dev, in a copy of the project", () => {
        it("runs index.ts before anything is built: IteratorWorkflow iterator, its children, and index.ts's outputs", async () => {
            const run = await runWithLanguageHost({ projectDir: noDist, stack: "dev" });
            expect(run.command.argv.slice(-1)).to.deep.equal(["index.ts"]);
            expectIndexTs(run);
        });

        it("a bad config value stops pulumi preview with the one-line config error, no stack trace", async () => {
            const run = await runWithLanguageHost({ projectDir: noDist, stack: "dev", dryRun: true, config: { "aws:region": "us-east-1", "iterator-workflow:onJobError": "ignore" } });
            expect(run.log.error).to.deep.equal(['config iterator-workflow:onJobError: must be one of fail, record, got "ignore"']);
            // The host passes the program's stdout and stderr to the terminal: no trace there either.
            expect(run.stdout + run.stderr).not.to.match(/^\s+at /m);
            // 32: the SDK logged the error itself, so the host bails without adding a message of its own.
            expect(run.exitCode).to.equal(32);
            expect(run.shutdownSignalled).to.equal(false);
            expect(run.resources.map((r) => r.type)).to.deep.equal(["pulumi:pulumi:Stack"]);
        });

        it("in a preview, the capacity is known while the ARNs, and the definition naming them, are not", async () => {
            const run = await runWithLanguageHost({ projectDir: noDist, stack: "dev", dryRun: true });
            expectCleanRun(run);
            expect(childrenOf(run, COMPONENT_URN)).to.deep.equal(children("iterator"));
            expect(run.stackOutputs).to.deep.include({ stateMachineArn: UNKNOWN, definition: UNKNOWN, startExecutionCommand: UNKNOWN });
            expect(run.stackOutputs!.capacity).to.deep.include({ historyEventsPerJob: 11, jobsPerExecution: 2043 });
        });

        it("still runs index.ts once dist/ is built, because Pulumi.yaml names it as main", async () => {
            await built;
            expect(fs.existsSync(path.join(withDist, "dist", "components", "index.js"))).to.equal(true);
            expectIndexTs(await runWithLanguageHost({ projectDir: withDist, stack: "dev" }));
        });

        it("without main in Pulumi.yaml, runs package.json's main instead: the library barrel, which registers no workflow (the reason Pulumi.yaml names main)", async () => {
            // Negative control: the same built copy, Pulumi.yaml without `main`. The entry point is then ".",
            // cmd/run takes package.json's "main" (dist/components/index.js), and the "program" is the barrel.
            // It exits 0 having registered only the stack, so `pulumi up` would plan to delete every resource.
            await built;
            const noMain = path.join(work, "no-main");
            fs.cpSync(withDist, noMain, { recursive: true, verbatimSymlinks: true });
            const project = fs.readFileSync(path.join(noMain, "Pulumi.yaml"), "utf8");
            expect(project).to.match(/^main: index\.ts$/m);
            fs.writeFileSync(path.join(noMain, "Pulumi.yaml"), project.replace(/^main: .*\n/m, ""));

            const run = await runWithLanguageHost({ projectDir: noMain, stack: "dev" });
            expectCleanRun(run);
            expect(run.command.argv.slice(-1)).to.deep.equal(["."]);
            expect(run.resources.map((r) => r.type)).to.deep.equal(["pulumi:pulumi:Stack"]);
            expect(run.stackOutputs).to.have.property("IteratorWorkflow");
            expect(run.stackOutputs).not.to.have.property("stateMachineArn");
        });
    });

    describe("a top-level program in its own project (tests/fixtures/top-level-program)", () => {
        it("registers the workflow it creates at the top level and exports its `arn`, importing iterator-workflow as installed", async () => {
            await built;
            const project = installFixture(path.join(work, "meetings"), withDist);
            const run = await runWithLanguageHost({ projectDir: project, stack: "dev" });
            expectCleanRun(run);
            const stackUrn = "urn:pulumi:dev::meetings::pulumi:pulumi:Stack::meetings-dev";
            const componentUrn = `urn:pulumi:dev::meetings::${COMPONENT}::meetings`;
            expect(one(run, COMPONENT, "meetings")).to.deep.include({ urn: componentUrn, parent: stackUrn });
            expect(childrenOf(run, componentUrn)).to.deep.equal(children("meetings"));
            expect(run.stackOutputs).to.deep.equal({ arn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:meetings` });
            const policy = JSON.parse(one(run, "aws:iam/rolePolicy:RolePolicy", "meetings-states").inputs.policy as string);
            expect(policy.Statement[0].Resource).to.deep.equal([`arn:aws:lambda:us-east-1:${ACCOUNT}:function:meetings-move-to-end`, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:transcribe`]);
        });
    });
});

describe("the test engine itself", () => {
    it("computes the program's directory and entry point as the engine's getPwdMain does", () => {
        expect(pwdMain(ROOT, "")).to.deep.equal({ pwd: ROOT, main: "." });
        expect(pwdMain(ROOT, "index.ts")).to.deep.equal({ pwd: ROOT, main: "index.ts" });
        expect(pwdMain(ROOT, "components")).to.deep.equal({ pwd: path.join(ROOT, "components"), main: "." });
        expect(pwdMain(ROOT, "components/index.ts")).to.deep.equal({ pwd: path.join(ROOT, "components"), main: "index.ts" });
        expect(() => pwdMain(ROOT, "missing.ts")).to.throw("project 'main' could not be read");
    });

    it("fails a call it does not emulate at once, with UNIMPLEMENTED, and records it", async () => {
        const engine = await startEngine({ project: "p", stack: "s", config: {}, dryRun: false, parallel: 1 });
        const monitor = new resourceServices.ResourceMonitorClient(engine.monitorAddress, grpc.credentials.createInsecure());
        const engineClient = new engineServices.EngineClient(engine.engineAddress, grpc.credentials.createInsecure());
        const call = (client: Record<string, Function>, method: string, request: unknown) =>
            new Promise<grpc.ServiceError>((resolve, reject) => client[method](request, (err: grpc.ServiceError | null) => (err ? resolve(err) : reject(new Error(`${method} succeeded`)))));
        try {
            const read = await call(monitor, "readResource", new resourceMessages.ReadResourceRequest());
            expect([read.code, read.details]).to.deep.equal([grpc.status.UNIMPLEMENTED, "the test engine does not emulate ResourceMonitor.ReadResource"]);
            const debug = await call(engineClient, "startDebugging", new engineMessages.StartDebuggingRequest());
            expect(debug.code).to.equal(grpc.status.UNIMPLEMENTED);
            expect(engine.run.unhandled).to.deep.equal(["ResourceMonitor.ReadResource", "Engine.StartDebugging"]);
        } finally {
            monitor.close();
            engineClient.close();
            engine.stop();
        }
    });
});
