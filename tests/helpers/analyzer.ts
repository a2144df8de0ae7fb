// The policy pack served as the Pulumi CLI serves it, then asked over Pulumi's analyzer protocol. No
// CLI, but the same server code: the pack prints its gRPC port and answers on it.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
/* eslint-disable @typescript-eslint/no-require-imports */
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const messages = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

/** How the engine writes a value not known during preview, inside a protobuf Struct. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Diagnostic {
    policy: string;
    level: "advisory" | "mandatory" | "remediate" | "disabled";
    message: string;
}

const LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

export class Analyzer {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: { getAnalyzerInfo: Function; analyze: Function; close(): void },
    ) {}

    /** This repository's `policies/index.ts`, run as a program with the repository's own modules. */
    static async start(): Promise<Analyzer> {
        const root = path.join(__dirname, "..", "..");
        return Analyzer.connect(spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", 'require("./policies")'], { cwd: root, stdio: ["ignore", "pipe", "pipe"] }));
    }

    /**
     * A policy pack installed in `dir`, started the way the Pulumi CLI starts a Node.js pack: the
     * language host resolves `@pulumi/pulumi/cmd/run-policy-pack` from the pack's folder, so from its
     * own node_modules, and runs `node <that> <engine address> <pack folder>` in the folder; that
     * entry type-checks and loads the pack with the pack's own ts-node and tsconfig.json
     * (pulumi/pulumi: sdk/nodejs/cmd/pulumi-language-nodejs/main.go, RunPlugin).
     */
    static async serve(dir: string): Promise<Analyzer & { entry: string }> {
        const folder = fs.realpathSync(dir);
        let entry: string;
        try {
            entry = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [folder] });
        } catch {
            throw new Error(`${folder} has no @pulumi/pulumi/cmd/run-policy-pack: install the pack's dependencies there first (npm ci)`);
        }
        // run-policy-pack drops the engine address before it loads the pack, and the pack serves on a
        // port of its own; nothing dials the engine, so an address nobody listens on does.
        const engine = "127.0.0.1:0";
        const analyzer = await Analyzer.connect(spawn(process.execPath, [entry, engine, folder], { cwd: folder, stdio: ["ignore", "pipe", "pipe"] }));
        return Object.assign(analyzer, { entry });
    }

    private static async connect(child: ChildProcess): Promise<Analyzer> {
        const port = await new Promise<string>((resolve, reject) => {
            let err = "";
            child.stderr!.on("data", (d) => (err += d));
            child.stdout!.once("data", (d) => resolve(String(d).trim()));
            child.once("exit", (code) => reject(new Error(`the policy pack exited with ${code} before serving: ${err}`)));
        });
        if (!/^\d+$/.test(port)) {
            child.kill();
            throw new Error(`the policy pack printed ${JSON.stringify(port)} where the CLI expects its port`);
        }
        return new Analyzer(child, new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
    }

    private call<T>(method: "getAnalyzerInfo" | "analyze", request: unknown): Promise<T> {
        return new Promise((resolve, reject) => this.client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
    }

    /** The pack's name, version and each policy with its enforcement level. */
    async info(): Promise<{ name: string; version: string; policies: string[] }> {
        type Info = { getName(): string; getVersion(): string; getPoliciesList(): { getName(): string; getEnforcementlevel(): number }[] };
        const info = await this.call<Info>("getAnalyzerInfo", new Empty());
        return { name: info.getName(), version: info.getVersion(), policies: info.getPoliciesList().map((p) => `${p.getName()} (${LEVELS[p.getEnforcementlevel()]})`) };
    }

    /** What the pack reports for one resource's inputs; write `UNKNOWN` for a value not known yet. */
    async analyze(type: string, name: string, props: Record<string, unknown>): Promise<Diagnostic[]> {
        const request = new messages.AnalyzeRequest();
        request.setType(type);
        request.setName(name);
        request.setUrn(`urn:pulumi:dev::iterator-workflow::${type}::${name}`);
        request.setProperties(Struct.fromJavaScript(props));
        request.setOptions(new messages.AnalyzerResourceOptions());
        type Response = { getDiagnosticsList(): { getPolicyname(): string; getEnforcementlevel(): number; getMessage(): string }[] };
        const response = await this.call<Response>("analyze", request);
        return response.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message: d.getMessage() }));
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }
}
