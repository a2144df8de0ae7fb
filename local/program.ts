// Finds and runs a Pulumi program the way the Pulumi CLI does, in this process: the project file
// found upwards from a directory, its `main` as the engine resolves it (pkg/engine/project.go,
// getPwdMain), then the Node.js SDK's own rules for the entry point and its exports
// (@pulumi/pulumi/cmd/run/run.js). Whatever engine is set up runs it; here, the mock engine.
// https://www.pulumi.com/docs/iac/concepts/projects/project-file/#attributes (main)
import * as fs from "node:fs";
import * as path from "node:path";
import * as url from "node:url";
import { parse as parseYaml } from "yaml";
import { ProgramError } from "./errors";

// The SDK's manifest search, internal to @pulumi/pulumi (no type declarations): using it, rather
// than a copy, finds the package.json (or pnpm's package.yaml) run.js finds.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const manifest: {
    searchupPackageManifest(startDir: string): string | undefined;
    readPackageManifest(dir: string): { data: PackageObject; path: string };
} = require("@pulumi/pulumi/runtime/manifest");

/** The project file names the CLI looks for, in its order (sdk/go/common/encoding Exts). */
const PROJECT_FILES = ["Pulumi.json", "Pulumi.yaml", "Pulumi.yml"];

export interface Project {
    /** The directory holding the project file: the engine's project root. */
    dir: string;
    /** The project file's name, e.g. `Pulumi.yaml`; stack files share its extension. */
    file: string;
    name: string;
    /** `main` as written in the project file, if any. */
    main?: string;
    /** The project-level `config` block: values and defaults for every stack. */
    config: Record<string, unknown>;
}

interface PackageObject {
    type?: string;
    main?: string;
    exports?: string | Record<string, string | { default?: string; require?: string; import?: string }>;
}

export interface EntryPoint {
    /** The project's directory: messages name the program from there. */
    root: string;
    /** Where the CLI runs the program: the directory of `main`, or the project root. */
    pwd: string;
    /** The file or directory the SDK loads. */
    program: string;
    /** `"type": "module"` in the program's package manifest: loaded with import(), not require(). */
    esModule: boolean;
    /** What the CLI would print as warnings while finding it. */
    warnings: string[];
}

export interface ProgramRun {
    /** What the program's module, or the function it exports, gave back: the stack outputs. */
    outputs: unknown;
    /** Exports that are functions the CLI does not call (e.g. a default export in a CommonJS project). */
    uncalledFunctions: string[];
}

/** The nearest project file at or above `start`, as `pulumi` finds it from its working directory. */
export function findProject(start: string): Project {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        const file = PROJECT_FILES.find((f) => fs.existsSync(path.join(dir, f)));
        if (file) return readProject(dir, file);
        if (path.dirname(dir) === dir) throw new ProgramError(`no Pulumi.yaml project file found (searching upwards from ${start})`);
    }
}

function readProject(dir: string, file: string): Project {
    let doc: unknown;
    try {
        doc = parseYaml(fs.readFileSync(path.join(dir, file), "utf8"));
    } catch (err) {
        throw new ProgramError(`${file} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    const project = (doc ?? {}) as { name?: unknown; runtime?: unknown; main?: unknown; config?: unknown };
    if (typeof project.name !== "string" || project.name === "") throw new ProgramError(`${file}: name must be the project's name`);
    const runtime = typeof project.runtime === "object" && project.runtime !== null ? (project.runtime as { name?: unknown }).name : project.runtime;
    if (runtime !== "nodejs") throw new ProgramError(`${file}: runtime is ${JSON.stringify(runtime)}; these commands run a nodejs program only`);
    if (project.main !== undefined && typeof project.main !== "string") throw new ProgramError(`${file}: main must be a path, got ${JSON.stringify(project.main)}`);
    const config = typeof project.config === "object" && project.config !== null ? (project.config as Record<string, unknown>) : {};
    return { dir, file, name: project.name, main: project.main || undefined, config };
}

/** The engine's getPwdMain, then run.js's choice of entry point when `main` names none. */
export function entryPoint(project: Project): EntryPoint {
    const warnings: string[] = [];
    let pwd = project.dir;
    let main = ".";
    if (project.main !== undefined) {
        const full = path.resolve(project.dir, project.main);
        let stat: fs.Stats;
        try {
            stat = fs.statSync(full);
        } catch {
            throw new ProgramError(`${project.file}: main ${JSON.stringify(project.main)} could not be read: there is no ${path.relative(project.dir, full) || "."} in the project`);
        }
        if (stat.isDirectory()) pwd = full;
        else [pwd, main] = [path.dirname(full), path.basename(full)];
    }
    let program = path.join(pwd, main);
    const packageRoot = packageRootOf(program, warnings);
    const pkg = packageObject(packageRoot);
    if (main === ".") {
        // https://nodejs.org/api/packages.html#package-entry-points, in run.js's order.
        const resolve = (entry: string | undefined) => {
            if (typeof entry !== "string") return;
            const candidate = path.join(packageRoot, entry);
            if (fs.existsSync(candidate)) program = candidate;
            else warnings.push(`Could not find entry point '${entry}' specified in package.json; using '${program}' instead`);
        };
        if (typeof pkg.exports === "string") resolve(pkg.exports);
        else if (typeof pkg.exports === "object" && pkg.exports !== null) {
            const dot = pkg.exports["."];
            resolve(typeof dot === "string" ? dot : typeof dot === "object" && dot !== null ? (dot.default ?? dot.require ?? dot.import) : undefined);
        } else if (pkg.main) resolve(pkg.main);
    }
    if (isDirectory(program) && ["index.js", "index.ts"].every((f) => fs.existsSync(path.join(program, f)))) {
        warnings.push("Found a TypeScript project containing an index.js file and no explicit entrypoint in Pulumi.yaml - Pulumi will use index.js");
    }
    return { root: project.dir, pwd, program, esModule: pkg.type === "module", warnings };
}

function isDirectory(p: string): boolean {
    try {
        return fs.statSync(p).isDirectory();
    } catch {
        return false;
    }
}

function packageRootOf(program: string, warnings: string[]): string {
    const programDirectory = isDirectory(program) ? program : path.dirname(program);
    const found = manifest.searchupPackageManifest(programDirectory);
    if (found === undefined) {
        warnings.push("Could not find a package.json or package.yaml file for the program. Using the Pulumi program directory as the project root.");
        return programDirectory;
    }
    return path.dirname(found);
}

function packageObject(root: string): PackageObject {
    try {
        return manifest.readPackageManifest(root).data ?? {};
    } catch {
        // As run.js: best effort, a missing or broken manifest is no manifest.
        return {};
    }
}

// TypeScript compiles import() to require() for CommonJS output; run.js evaluates it the same way.
// eslint-disable-next-line no-eval
const dynamicImport = (0, eval)("u=>import(u)") as (specifier: string) => Promise<Record<string, unknown>>;
let importCount = 0;

/**
 * Loads the entry point and runs it as run.js does: a CommonJS module's exports are the stack's
 * outputs unless the export is itself a function, which is called and awaited; an ES module's
 * default export, if any, stands for the module. Call it inside the stack (runInPulumiStack).
 *
 * Each call runs the program afresh, as a new `pulumi` process would: the entry module, and every
 * module of the project it loads for the first time, are dropped from the module cache afterwards.
 */
export async function runProgram(entry: EntryPoint): Promise<ProgramRun> {
    const shown = path.relative(entry.root, entry.program) || ".";
    let exported: unknown;
    const cachedBefore = new Set(Object.keys(require.cache));
    try {
        exported = entry.esModule ? await importEntry(entry.program) : requireEntry(entry.program);
        const uncalledFunctions = exported instanceof Function ? [] : functionsIn(exported);
        const outputs = await (exported instanceof Function ? exported() : exported);
        return { outputs, uncalledFunctions };
    } catch (err) {
        if ((err as NodeJS.ErrnoException)?.code === "MODULE_NOT_FOUND" && (err as Error).message.includes(`'${entry.program}`)) {
            throw new ProgramError(`we failed to locate the entry point for your program: ${shown}`);
        }
        throw err;
    } finally {
        for (const id of Object.keys(require.cache)) {
            if (!cachedBefore.has(id) && !id.split(path.sep).includes("node_modules")) delete require.cache[id];
        }
    }
}

function requireEntry(program: string): unknown {
    // As run.js: a directory is required as one (its package.json main, else its index).
    const specifier = isDirectory(program) && !program.endsWith("/") ? `${program}/` : program;
    try {
        delete require.cache[require.resolve(specifier)];
    } catch {
        // Not resolvable: require() below reports it.
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(specifier);
}

async function importEntry(program: string): Promise<unknown> {
    let main = fs.realpathSync(path.resolve(program));
    if (isDirectory(main)) {
        const index = ["index.js", "index.mjs", "index.ts", "index.mts"].find((f) => fs.existsSync(path.join(main, f)));
        if (!index) throw new ProgramError(`No entrypoint found in ${main}`);
        main = path.join(main, index);
    }
    // An ES module is cached by URL for the life of the process: a query string makes this run's its own.
    const module = await dynamicImport(`${url.pathToFileURL(main).href}?run=${++importCount}`);
    if (Object.getOwnPropertyDescriptor(module, "default") !== undefined) {
        if (Object.keys(module).length !== 1) throw new ProgramError("expected entrypoint module to have either a default export or named exports but not both");
        return module.default;
    }
    return module;
}

function functionsIn(exported: unknown): string[] {
    if (typeof exported !== "object" || exported === null) return [];
    return Object.entries(exported).flatMap(([key, value]) => (value instanceof Function ? [key] : []));
}

/**
 * Why a program that registered nothing did nothing, when the reason is an export the CLI leaves
 * alone; undefined when there is no such export.
 */
export function nothingRan(entry: EntryPoint, uncalled: string[]): string | undefined {
    if (uncalled.length === 0) return undefined;
    const shown = path.relative(entry.root, entry.program) || ".";
    const names = uncalled.map((n) => (n === "default" ? "its default export" : `its export ${n}`)).join(" and ");
    const rule = entry.esModule
        ? "in an ES module project the CLI calls only a default export"
        : "in a CommonJS project the CLI calls the module only when the module itself is a function: module.exports = ..., or export = in TypeScript";
    return `${shown} registers no resources: ${names} ${uncalled.length > 1 ? "are functions" : "is a function"} the Pulumi CLI does not call (${rule}), so pulumi up would deploy nothing`;
}
