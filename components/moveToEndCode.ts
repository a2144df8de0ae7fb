// The bytes of the MoveToEnd Lambda, built from functions/ at deploy time. The component deploys
// this text and the tests and the local runner execute this same text, so what is tested ships.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import type { MoveToEndEvent, WorkflowState } from "../functions/moveToEnd";

let cached: string | undefined;

/** CommonJS source of `index.js`, the archive's only file. */
export function moveToEndCode(): string {
    if (cached !== undefined) return cached;
    // From source (ts-node) the TypeScript is transpiled; from a build (dist/) the compiled file is read.
    const ts = path.join(__dirname, "..", "functions", "moveToEnd.ts");
    if (fs.existsSync(ts)) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const typescript: typeof import("typescript") = require("typescript");
        cached = typescript.transpileModule(fs.readFileSync(ts, "utf8"), {
            compilerOptions: { module: typescript.ModuleKind.CommonJS, target: typescript.ScriptTarget.ES2022, removeComments: false },
            fileName: "index.ts",
        }).outputText;
    } else {
        cached = fs.readFileSync(path.join(__dirname, "..", "functions", "moveToEnd.js"), "utf8");
    }
    return cached;
}

export type Handler = (event: MoveToEndEvent) => Promise<WorkflowState>;

/** Loads an archive's `index.js` the way the Lambda runtime would and returns its `handler`. */
export function loadHandler(code: string): Handler {
    const module = { exports: {} as { handler?: Handler } };
    const wrapper = vm.runInThisContext(`(function (exports, require, module) {${code}\n})`, { filename: "index.js" });
    wrapper(module.exports, require, module);
    if (typeof module.exports.handler !== "function") throw new Error("the MoveToEnd archive's index.js exports no handler");
    return module.exports.handler;
}
