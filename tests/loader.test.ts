// The program loader the local commands share: the entry point chosen as the Pulumi CLI chooses it,
// the program run as the SDK runs it, its workflows found from what it registers; and the same
// resources and outputs as Pulumi's real language host entry gives for the same program.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ProgramError, UsageError } from "../local/errors";
import { entryPoint, findProject } from "../local/program";
import { readStackConfig, selectWorkflow, synthesize, type Synthesis } from "../local/synth";
import { rejection } from "./helpers/errors";
import { runWithLanguageHost } from "./helpers/languageHost";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(__dirname, "fixtures", "loader");
const fixture = (name: string) => path.join(FIXTURES, name);
const synthFixture = (name: string, stack = "dev") => synthesize(readStackConfig(stack, fixture(name)), stack, { dir: fixture(name) });

/** A project in a fresh directory: files by relative path. */
function project(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loader-"));
    for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    }
    return dir;
}
const PULUMI_YAML = "name: p\nruntime: nodejs\n";

describe("the entry point, chosen as the Pulumi CLI chooses it", () => {
    it("takes Pulumi.yaml's main, resolved from the project directory; a directory runs in itself", () => {
        const dir = project({ "Pulumi.yaml": `${PULUMI_YAML}main: src/app.ts\n`, "src/app.ts": "", "package.json": '{"main": "other.ts"}', "other.ts": "" });
        expect(entryPoint(findProject(dir))).to.deep.include({ pwd: path.join(dir, "src"), program: path.join(dir, "src", "app.ts"), esModule: false });

        const inDir = project({ "Pulumi.yaml": `${PULUMI_YAML}main: app/\n`, "app/index.ts": "" });
        expect(entryPoint(findProject(inDir))).to.deep.include({ pwd: path.join(inDir, "app"), program: path.join(inDir, "app") });
    });

    it("refuses a main that does not exist, in one line naming it", () => {
        const dir = project({ "Pulumi.yaml": `${PULUMI_YAML}main: nope.ts\n` });
        expect(() => entryPoint(findProject(dir))).to.throw(ProgramError, 'Pulumi.yaml: main "nope.ts" could not be read: there is no nope.ts in the project');
    });

    it("without main: package.json exports, then its main, then the directory itself", () => {
        const exportsString = project({ "Pulumi.yaml": PULUMI_YAML, "package.json": '{"exports": "./a.ts", "main": "b.ts"}', "a.ts": "", "b.ts": "" });
        expect(entryPoint(findProject(exportsString)).program).to.equal(path.join(exportsString, "a.ts"));

        const exportsDot = project({ "Pulumi.yaml": PULUMI_YAML, "package.json": '{"exports": {".": {"require": "./r.ts", "import": "./i.mjs"}}}', "r.ts": "" });
        expect(entryPoint(findProject(exportsDot)).program).to.equal(path.join(exportsDot, "r.ts"));

        const main = project({ "Pulumi.yaml": PULUMI_YAML, "package.json": '{"main": "b.ts"}', "b.ts": "" });
        expect(entryPoint(findProject(main)).program).to.equal(path.join(main, "b.ts"));

        const none = project({ "Pulumi.yaml": PULUMI_YAML, "package.json": "{}" });
        expect(entryPoint(findProject(none))).to.deep.include({ pwd: none, program: none, warnings: [] });
    });

    it("falls back to the directory, with the CLI's warning, when package.json names a missing file", () => {
        const dir = project({ "Pulumi.yaml": PULUMI_YAML, "package.json": '{"main": "dist/index.js"}' });
        const entry = entryPoint(findProject(dir));
        expect(entry.program).to.equal(dir);
        expect(entry.warnings).to.deep.equal([`Could not find entry point 'dist/index.js' specified in package.json; using '${dir}' instead`]);
    });

    it('loads an ES module for "type": "module", and finds the project file upwards from a subdirectory', () => {
        const dir = project({ "Pulumi.yaml": `${PULUMI_YAML}main: index.mjs\n`, "package.json": '{"type": "module"}', "index.mjs": "", "sub/x.txt": "" });
        expect(entryPoint(findProject(path.join(dir, "sub"))).esModule).to.equal(true);
    });

    it("this repository's Pulumi.yaml names index.ts, whatever package.json's main says", () => {
        expect(entryPoint(findProject(ROOT))).to.deep.include({ pwd: ROOT, program: path.join(ROOT, "index.ts") });
    });

    it("stack config: the stack's values, then what Pulumi.yaml's config block sets for keys the stack leaves out", () => {
        const dir = project({
            "Pulumi.yaml": `${PULUMI_YAML}config:\n  greeting: hi\n  other:n:\n    value: 1\n  kept:\n    default: project\n`,
            "Pulumi.dev.yaml": "config:\n  p:kept: stack\n  p:list: [1, 2]\n",
        });
        expect(readStackConfig("dev", dir)).to.deep.equal({ "p:kept": "stack", "p:list": "[1,2]", "p:greeting": "hi", "other:n": "1" });
    });

    it("refuses a project that is not a nodejs one, or has no project file", () => {
        expect(() => findProject(project({ "Pulumi.yaml": "name: p\nruntime: python\n" }))).to.throw(ProgramError, 'Pulumi.yaml: runtime is "python"; these commands run a nodejs program only');
        const bare = fs.mkdtempSync(path.join(os.tmpdir(), "loader-bare-"));
        expect(() => findProject(bare)).to.throw(ProgramError, /^no Pulumi\.yaml project file found \(searching upwards from /);
    });
});

describe("the program, run as the Pulumi SDK runs it", () => {
    it("runs top-level code and takes the named exports as the stack's outputs", async () => {
        const synth = await synthFixture("top-level");
        expect(synth.workflows.map((w) => w.name)).to.deep.equal(["top"]);
        expect(synth.outputs.stateMachineArn).to.equal("arn:aws:states:us-east-1:123456789012:stateMachine:top");
        // The capacity comes from the component, whatever the program exports.
        expect(synth.workflows[0].capacity).to.deep.equal(synth.outputs.capacity);
    });

    it("runs the program afresh each time, as a new pulumi process would", async () => {
        const first = await synthFixture("top-level");
        const second = await synthFixture("top-level");
        expect(second.resources.map((r) => `${r.type}::${r.name}`)).to.deep.equal(first.resources.map((r) => `${r.type}::${r.name}`));
        expect(second.resources.length).to.be.greaterThan(5);
    });

    it("calls the function a CommonJS module is (index.ts's export =) and awaits it", async () => {
        const synth = await synthesize(readStackConfig("dev"), "dev");
        expect(synth.workflows.map((w) => w.name)).to.deep.equal(["iterator"]);
        expect(Object.keys(synth.outputs)).to.include.members(["stateMachineArn", "capacity", "definition"]);
    });

    it("calls an ES module's default-exported function", async () => {
        const synth = await synthFixture("esm");
        expect(synth.workflows.map((w) => w.name)).to.deep.equal(["esm"]);
        expect(synth.outputs).to.deep.equal({ stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:esm" });
    });

    it("runs package.json's main when Pulumi.yaml names none", async () => {
        const synth = await synthFixture("package-main");
        expect(synth.workflows.map((w) => w.name)).to.deep.equal(["from-package-main"]);
    });

    it("says in one line that a CommonJS default-exported function is never called, instead of doing nothing", async () => {
        const err = await rejection(synthFixture("default-export"));
        expect(err).to.be.instanceOf(ProgramError);
        expect(err.message).to.equal(
            "index.ts registers no resources: its default export is a function the Pulumi CLI does not call (in a CommonJS project the CLI calls the module only when the module itself is a function: module.exports = ..., or export = in TypeScript), so pulumi up would deploy nothing",
        );
    });

    it("names an entry point that cannot be loaded, in one line", async () => {
        const dir = project({ "Pulumi.yaml": `${PULUMI_YAML}main: app/\n`, "Pulumi.dev.yaml": "config: {}\n", "app/readme.txt": "" });
        const err = await rejection(synthesize(readStackConfig("dev", dir), "dev", { dir }));
        expect(err).to.be.instanceOf(ProgramError);
        expect(err.message).to.equal("we failed to locate the entry point for your program: app");
    });

    it("refuses an ES module with both a default export and named ones, as the SDK does", async () => {
        const dir = project({ "Pulumi.yaml": `${PULUMI_YAML}main: index.mjs\n`, "Pulumi.dev.yaml": "config: {}\n", "package.json": '{"type": "module"}', "index.mjs": "export default {}; export const x = 1;\n" });
        const err = await rejection(synthesize(readStackConfig("dev", dir), "dev", { dir }));
        expect(err).to.be.instanceOf(ProgramError);
        expect(err.message).to.equal("expected entrypoint module to have either a default export or named exports but not both");
    });
});

describe("which workflow a command works on", () => {
    let two: Synthesis;
    before(async () => {
        two = await synthFixture("two-workflows");
    });

    it("finds every IteratorWorkflow the program registers, whatever it exports", () => {
        expect(two.workflows.map((w) => [w.name, w.capacity.strategy])).to.deep.equal([
            ["alpha", "iterator"],
            ["beta", "map"],
        ]);
        expect(two.workflows.map((w) => w.stateMachine.name)).to.deep.equal(["alpha", "beta"]);
        expect(two.workflows.map((w) => w.moveToEndFunction?.name)).to.deep.equal(["alpha-move-to-end", undefined]);
    });

    it("--workflow picks one; without it, several are a usage error listing them; an unknown name too", () => {
        expect(selectWorkflow(two, "beta", "dev").name).to.equal("beta");
        expect(() => selectWorkflow(two, undefined, "dev")).to.throw(UsageError, "stack dev has 2 workflows (alpha, beta): pick one with --workflow NAME");
        expect(() => selectWorkflow(two, "gamma", "dev")).to.throw(UsageError, "--workflow gamma: stack dev has no workflow of that name (its workflows: alpha, beta)");
    });

    it("a program with none is an error", async () => {
        const none = await synthFixture("no-workflow");
        expect(none.resources.map((r) => r.type)).to.include("aws:sfn/activity:Activity");
        expect(() => selectWorkflow(none, undefined, "dev")).to.throw(ProgramError, "stack dev: the program (index.ts) registers no IteratorWorkflow");
    });
});

describe("the loader and Pulumi's real language host agree", function () {
    // Each host run starts node with ts-node, as `pulumi up` does.
    this.timeout(120_000);

    /** `type::name` with the parent's, the stack left out: what both sides know of each resource. */
    const shape = (resources: { type: string; name: string; parent?: string }[]) => resources.map((r) => `${r.parent ?? ""} > ${r.type}::${r.name}`).sort();
    const fromUrn = (urn: string) => {
        const [, , qualified, name] = urn.split("::");
        const type = qualified.split("$").pop()!;
        return type === "pulumi:pulumi:Stack" ? undefined : `${type}::${name}`;
    };

    for (const [label, dir] of [
        ["index.ts (a function exported as the module)", ROOT],
        ["a top-level program with named exports", fixture("top-level")],
    ] as const) {
        it(`registers the same resources and exports the same outputs: ${label}`, async () => {
            const host = await runWithLanguageHost({ projectDir: dir, stack: "dev" });
            expect(host.exitCode, host.stderr).to.equal(0);
            const local = await synthesize(readStackConfig("dev", dir), "dev", { dir });

            const hostResources = host.resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent === "" ? undefined : fromUrn(r.parent) }));
            const localResources = local.resources.map((r) => ({ ...r, parent: r.parent?.startsWith("pulumi:pulumi:Stack::") ? undefined : r.parent }));
            expect(shape(localResources)).to.deep.equal(shape(hostResources));
            expect(Object.keys(host.stackOutputs ?? {})).to.include("stateMachineArn");
            expect(local.outputs).to.deep.equal(host.stackOutputs);

            const definition = (resources: { type: string; inputs: Record<string, unknown> }[]) => resources.find((r) => r.type === "aws:sfn/stateMachine:StateMachine")!.inputs.definition;
            expect(definition(local.resources)).to.be.a("string").and.to.equal(definition(host.resources));
        });
    }
});
