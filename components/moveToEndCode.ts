// The bytes of the MoveToEnd Lambda, built from functions/ at deploy time. The component deploys
// these files and the tests and the local runner execute these same files, so what is tested ships.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import type { MoveToEndEvent, WorkflowState } from "../functions/moveToEnd";

/** The archive's modules: functions/<name>.ts becomes <file> (index.js is the handler's). */
const MODULES: Record<string, string> = { "index.js": "moveToEnd", "jobStore.js": "jobStore" };

let cached: Record<string, string> | undefined;

function compile(name: string): string {
    // From source (ts-node) the TypeScript is transpiled; from a build (dist/) the compiled file is read.
    const ts = path.join(__dirname, "..", "functions", `${name}.ts`);
    if (!fs.existsSync(ts)) return fs.readFileSync(path.join(__dirname, "..", "functions", `${name}.js`), "utf8");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const typescript: typeof import("typescript") = require("typescript");
    return typescript.transpileModule(fs.readFileSync(ts, "utf8"), {
        compilerOptions: { module: typescript.ModuleKind.CommonJS, target: typescript.ScriptTarget.ES2022, removeComments: false },
        fileName: `${name}.ts`,
    }).outputText;
}

/** Every file of the archive, CommonJS source by file name. */
export function moveToEndArchive(): Record<string, string> {
    cached ??= Object.fromEntries(Object.entries(MODULES).map(([file, name]) => [file, compile(name)]));
    return cached;
}

/** The handler's file, `index.js`. */
export const moveToEndCode = (): string => moveToEndArchive()["index.js"];

export type Handler = (event: MoveToEndEvent) => Promise<WorkflowState>;

/**
 * Loads an archive the way the Lambda runtime would and returns `index.js`'s `handler`: its own
 * files by relative path, anything else (Node's modules, the AWS SDK the runtime provides) from here.
 */
export function loadHandler(files: Record<string, string> | string): Handler {
    const archive = typeof files === "string" ? { "index.js": files } : files;
    const loaded = new Map<string, unknown>();
    const load = (file: string): unknown => {
        if (loaded.has(file)) return loaded.get(file);
        const module = { exports: {} as Record<string, unknown> };
        loaded.set(file, module.exports);
        const local = (request: string) => {
            const own = request.startsWith("./") ? `${request.slice(2).replace(/\.js$/, "")}.js` : undefined;
            if (own === undefined) return require(request);
            if (!(own in archive)) throw new Error(`the MoveToEnd archive has no ${own}, which ${file} requires`);
            return load(own);
        };
        const wrapper = vm.runInThisContext(`(function (exports, require, module) {${archive[file]}\n})`, { filename: file });
        wrapper(module.exports, local, module);
        loaded.set(file, module.exports);
        return module.exports;
    };
    const handler = (load("index.js") as { handler?: Handler }).handler;
    if (typeof handler !== "function") throw new Error("the MoveToEnd archive's index.js exports no handler");
    return handler;
}
