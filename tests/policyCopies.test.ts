// policies/ must work on its own: `pulumi policy publish` uploads that folder alone. So it imports no
// file outside itself, and the component files it shares are copies in policies/generated/, which
// `npm run generate:policies` writes and these tests hold equal to their sources.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { generate, GenerateError, render } from "../scripts/generate-policies";

const ROOT = path.join(__dirname, "..");
const PACK = path.join(ROOT, "policies");
const GENERATED = path.join(PACK, "generated");
const HEADER = /^\/\/ Generated from (components\/[\w.-]+\.ts) by `npm run generate:policies`: do not edit this copy\.\n\/\/ Change \1 and run that script; `npm test` fails while the two differ\.\n/;

/** The pack's TypeScript files (its node_modules aside), as absolute paths. */
function packFiles(dir = PACK): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "node_modules" ? [] : packFiles(file);
        return entry.name.endsWith(".ts") ? [file] : [];
    });
}

/** Each relative module a file loads, resolved to the path it names (without extension). */
function relativeLoads(file: string): { spec: string; target: string }[] {
    const found = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    return [...found.importedFiles, ...found.referencedFiles]
        .map((f) => f.fileName)
        .filter((spec) => spec.startsWith("."))
        .map((spec) => ({ spec, target: path.resolve(path.dirname(file), spec) }));
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");

describe("the policy pack on its own", () => {
    it("imports no file from outside policies/", () => {
        const outside = packFiles().flatMap((file) => relativeLoads(file).filter((l) => !l.target.startsWith(PACK + path.sep)).map((l) => `${rel(file)} imports ${l.spec}`));
        expect(outside, "copy what the pack needs into policies/generated/ (scripts/generate-policies.ts)").to.deep.equal([]);
    });

    it("holds in policies/generated/ exactly the copies its files import", () => {
        const imported = new Set(packFiles().flatMap((file) => relativeLoads(file).filter((l) => path.dirname(l.target) === GENERATED).map((l) => `${path.basename(l.target)}.ts`)));
        expect(fs.readdirSync(GENERATED).sort()).to.deep.equal([...imported].sort());
        expect([...imported].sort()).to.include.members(["budget.ts", "workflowTags.ts", "integrations.ts", "iamPatterns.ts"]);
    });

    it("has each copy equal to its source in components/, after a header naming that source", () => {
        for (const name of fs.readdirSync(GENERATED)) {
            const text = fs.readFileSync(path.join(GENERATED, name), "utf8");
            const header = HEADER.exec(text);
            expect(header, `policies/generated/${name} lacks the generated-from header`).to.not.equal(null);
            const source = header![1];
            expect(path.basename(source), `policies/generated/${name} names ${source}`).to.equal(name);
            const same = text.slice(header![0].length) === fs.readFileSync(path.join(ROOT, source), "utf8");
            expect(same, `policies/generated/${name} differs from ${source}: run npm run generate:policies`).to.equal(true);
        }
    });
});

describe("npm run generate:policies", () => {
    let root: string;
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), text);
    };
    const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "generate-policies-"));
        write("components/budget.ts", "// budget\nexport const LIMIT = 1;\n");
        write("components/workflowTags.ts", "export const TAG = { a: `x` } as const;\n");
        write("components/integrations.ts", "export const KNOWN = [] as const;\n");
        write("components/iamPatterns.ts", "export const ANY = \"\\u0001\";\n");
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("writes the header and the source verbatim, removes a copy nothing generates, and then has nothing to do", () => {
        write("policies/generated/old.ts", "export {};\n");
        expect(generate(root)).to.deep.equal({
            written: ["budget.ts", "workflowTags.ts", "integrations.ts", "iamPatterns.ts"].map((f) => path.join("policies", "generated", f)),
            removed: [path.join("policies", "generated", "old.ts")],
        });
        expect(read("policies/generated/budget.ts")).to.equal(
            "// Generated from components/budget.ts by `npm run generate:policies`: do not edit this copy.\n" +
                "// Change components/budget.ts and run that script; `npm test` fails while the two differ.\n" +
                "// budget\nexport const LIMIT = 1;\n",
        );
        expect(HEADER.exec(read("policies/generated/workflowTags.ts"))?.[1]).to.equal("components/workflowTags.ts");
        expect(generate(root)).to.deep.equal({ written: [], removed: [] });
    });

    for (const [form, line, module] of [
        ["an import", 'import { computeCapacity } from "./capacity";', "./capacity"],
        ["a type-only import", 'import type { StepSpec } from "./steps";', "./steps"],
        ["a re-export", 'export * from "./types";', "./types"],
        ["a require()", 'const fs = require("node:fs");', "node:fs"],
        ["a dynamic import()", 'export const load = () => import("./iam");', "./iam"],
        ["a triple-slash reference", '/// <reference types="node" />', "node"],
    ] as const) {
        it(`refuses a source with ${form}, naming the file and the module, and writes no copy`, () => {
            write("components/workflowTags.ts", `${line}\nexport const TAG = {};\n`);
            expect(() => generate(root)).to.throw(GenerateError, `components/workflowTags.ts imports "${module}"; the policy pack carries a verbatim copy`);
            expect(fs.existsSync(path.join(root, "policies", "generated", "budget.ts"))).to.equal(false);
            expect(() => render("components/budget.ts", "export const LIMIT = 1;\n")).not.to.throw();
        });
    }

    it("as a command, says so in one line and exits 1", () => {
        write("scripts/generate-policies.ts", fs.readFileSync(path.join(ROOT, "scripts", "generate-policies.ts"), "utf8"));
        write("components/budget.ts", 'import { PAYLOAD } from "./limits";\nexport const LIMIT = PAYLOAD;\n');
        const res = spawnSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(root, "scripts", "generate-policies.ts")], {
            cwd: root,
            encoding: "utf8",
            env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules"), TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
        });
        expect(res.status, res.stderr).to.equal(1);
        expect(res.stderr).to.match(/^error: components\/budget\.ts imports "\.\/limits"; the policy pack carries a verbatim copy of it, which must import nothing \([^\n]*\)\n$/);
        expect(fs.existsSync(path.join(root, "policies"))).to.equal(false);
    });
});
