// `npm run generate:policies`: copies the component files the policy pack shares into
// policies/generated/. `pulumi policy publish` uploads the pack's folder alone, so the pack cannot
// import ../components; it imports these copies instead, and a test fails while one differs from
// its source. Run it after changing one of the sources.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** The component files the policy pack uses, by name under components/. */
export const SHARED = ["budget", "workflowTags", "integrations", "iamPatterns"] as const;
export const GENERATED_DIR = path.join("policies", "generated");

export class GenerateError extends Error {}

const header = (source: string): string =>
    `// Generated from ${source} by \`npm run generate:policies\`: do not edit this copy.\n` +
    `// Change ${source} and run that script; \`npm test\` fails while the two differ.\n`;

/** Every module the source loads: imports (type-only too), re-exports, require(), import() and triple-slash references. */
function loads(text: string): string[] {
    const found = ts.preProcessFile(text, true, true);
    return [...found.importedFiles, ...found.referencedFiles, ...found.typeReferenceDirectives, ...found.libReferenceDirectives].map((f) => f.fileName);
}

/** The copy of `source` (a path like components/budget.ts) the pack carries. */
export function render(source: string, text: string): string {
    const modules = loads(text);
    if (modules.length > 0) {
        throw new GenerateError(
            `${source} imports ${modules.map((m) => JSON.stringify(m)).join(", ")}; the policy pack carries a verbatim copy of it, which must import nothing (inline what it needs, or keep it out of ${source})`,
        );
    }
    return header(source) + text;
}

/**
 * Writes policies/generated/ under `root` from components/: a copy of each shared file, nothing
 * else. Checks every source before writing any copy. Returns what it changed.
 */
export function generate(root: string): { written: string[]; removed: string[] } {
    const copies = SHARED.map((name) => {
        const source = `components/${name}.ts`;
        const file = path.join(root, source);
        if (!fs.existsSync(file)) throw new GenerateError(`${source} does not exist; the policy pack needs it (scripts/generate-policies.ts lists the shared files)`);
        return { target: path.join(GENERATED_DIR, `${name}.ts`), text: render(source, fs.readFileSync(file, "utf8")) };
    });
    const dir = path.join(root, GENERATED_DIR);
    fs.mkdirSync(dir, { recursive: true });
    const wanted = new Set(copies.map((c) => path.basename(c.target)));
    const removed = fs.readdirSync(dir).filter((f) => !wanted.has(f)).map((f) => path.join(GENERATED_DIR, f));
    for (const stale of removed) fs.rmSync(path.join(root, stale), { recursive: true, force: true });
    const written = copies.filter(({ target, text }) => {
        const file = path.join(root, target);
        if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return false;
        fs.writeFileSync(file, text);
        return true;
    });
    return { written: written.map((c) => c.target), removed };
}

if (require.main === module) {
    try {
        const { written, removed } = generate(path.join(__dirname, ".."));
        const lines = [...written.map((f) => `wrote ${f}`), ...removed.map((f) => `removed ${f}`)];
        process.stdout.write(`${lines.length === 0 ? `${GENERATED_DIR}: up to date` : lines.join("\n")}\n`);
    } catch (err) {
        if (!(err instanceof GenerateError)) throw err;
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(1);
    }
}
