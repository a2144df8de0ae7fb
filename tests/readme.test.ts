// What a user copies from the README and from Pulumi.dev.yaml's comment must work: each TypeScript
// example that imports the package type-checks, and, run as a program under the mock engine, passes
// the policy pack; the commented steps block in Pulumi.dev.yaml passes it too.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { parse as parseYaml } from "yaml";
import { runPolicies } from "../local/policyRun";
import { readStackConfig, synthesize } from "../local/synth";

const ROOT = path.join(__dirname, "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const PACKAGE = path.join(ROOT, "components", "index.ts");

/** The README's ```ts blocks that use the package, as a user would paste them into a program. */
const examples = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.includes('from "iterator-workflow"'));

describe("the README's examples and Pulumi.dev.yaml's commented steps", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("holds examples to check", () => {
        expect(examples.length).to.be.at.least(1);
    });

    it("type-checks every example as a program importing iterator-workflow", () => {
        const files = examples.map((code, i) => {
            const file = path.join(dir, `example${i}.ts`);
            fs.writeFileSync(file, code);
            return file;
        });
        const program = ts.createProgram(files, {
            strict: true,
            target: ts.ScriptTarget.ES2022,
            module: ts.ModuleKind.CommonJS,
            moduleResolution: ts.ModuleResolutionKind.Node10,
            esModuleInterop: true,
            skipLibCheck: true,
            noEmit: true,
            types: ["node"],
            typeRoots: [path.join(ROOT, "node_modules", "@types")],
            baseUrl: ROOT,
            // As installed, "iterator-workflow" is the package's own entry; its packages resolve from here.
            paths: { "iterator-workflow": [PACKAGE], "*": [path.join(ROOT, "node_modules", "*")] },
        });
        const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
        expect(problems).to.deep.equal([]);
    });

    examples.forEach((code, i) => {
        it(`example ${i + 1} passes the policy pack with no violation at all`, async () => {
            const file = path.join(dir, `run${i}.ts`);
            fs.writeFileSync(file, code.replaceAll('from "iterator-workflow"', `from ${JSON.stringify(PACKAGE.replace(/\.ts$/, ""))}`));
            const synth = await synthesize({ "aws:region": "us-east-1" }, "readme", async () => {
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                const exports = require(file);
                return typeof exports === "function" ? exports() : exports;
            });
            expect(synth.resources.some((r) => r.type === "aws:sfn/stateMachine:StateMachine")).to.equal(true);
            expect((await runPolicies(synth, { stack: "readme" })).map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
        });
    });

    it("Pulumi.dev.yaml's commented steps, uncommented, pass the policy pack with the stack's other settings", async () => {
        const text = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
        const block = /^ {2}# {3}iterator-workflow:steps:\n(?: {2}# {3,}.*\n)+/m.exec(text);
        expect(block, "a commented iterator-workflow:steps block").not.to.equal(null);
        const yaml = block![0]
            .split("\n")
            .map((line) => line.replace(/^ {2}# /, ""))
            .join("\n");
        const steps = (parseYaml(yaml) as { "iterator-workflow:steps": unknown })["iterator-workflow:steps"];
        expect(steps).to.be.an("array").with.length.at.least(1);
        const config = { ...readStackConfig("dev"), "iterator-workflow:steps": JSON.stringify(steps) };
        const synth = await synthesize(config, "dev");
        expect((await runPolicies(synth, { stack: "dev" })).map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([]);
    });
});
