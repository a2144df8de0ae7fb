// A Pulumi program run as `pulumi up` / `pulumi preview` runs it, without the CLI: the SDK's own entry
// (@pulumi/pulumi/cmd/run) started with the arguments and environment pulumi-language-nodejs gives it,
// talking gRPC to an in-process ResourceMonitor and Engine that answer as the engine does, with
// made-up cloud state. What the program registers, exports and logs comes back for tests to check.
//
// Sources it follows (github.com/pulumi/pulumi): pkg/engine/project.go (getPwdMain),
// sdk/nodejs/cmd/pulumi-language-nodejs/main.go (Run, execRuntime, constructArguments, constructConfig),
// pkg/resource/deploy/source_eval.go (the ResourceMonitor), pkg/resource/deploy/deployment.go
// (generateURN), pkg/workspace/config.go (project config merged into the stack's).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { parse as parseYaml } from "yaml";
import { ACCOUNT, mockState } from "../../local/synth";
/* eslint-disable @typescript-eslint/no-require-imports */
const resourceServices = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resourceMessages = require("@pulumi/pulumi/proto/resource_pb");
const engineServices = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineMessages = require("@pulumi/pulumi/proto/engine_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

/** How the engine writes a value not known yet (a preview), inside a protobuf Struct. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
const REGION = "us-east-1";
/** The DIY backend's fixed organization name (pkg/backend/diy); the engine always passes one. */
const ORGANIZATION = "organization";

export interface RegisteredResource {
    type: string;
    name: string;
    urn: string;
    /** The parent's URN; "" only for the stack itself. */
    parent: string;
    custom: boolean;
    /** The inputs as the SDK serialized them (assets, secrets and resource references keep Pulumi's wire form). */
    inputs: Record<string, unknown>;
    /** For each input, the URNs of the resources it was computed from. */
    propertyDependencies: Record<string, string[]>;
    id: string;
}

export type Severity = "debug" | "info" | "warning" | "error";

export interface HostRun {
    /** The node process's exit code: 0, or 32 when the SDK already logged the error (the host then adds nothing). */
    exitCode: number | null;
    resources: RegisteredResource[];
    /** What the program exported: the outputs registered on the pulumi:pulumi:Stack resource. */
    stackOutputs: Record<string, unknown> | undefined;
    /** Messages the program sent to the engine's Log, by severity. */
    log: Record<Severity, string[]>;
    invokes: { token: string; args: Record<string, unknown> }[];
    /** gRPC methods the program called that this engine does not emulate; each call failed with UNIMPLEMENTED. */
    unhandled: string[];
    /** The SDK calls SignalAndWaitForShutdown only when the program finished without an error. */
    shutdownSignalled: boolean;
    /** The node command line, working directory and the variables the host adds to the environment. */
    command: { argv: string[]; cwd: string; env: Record<string, string> };
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    /** The directory holding Pulumi.yaml. */
    projectDir: string;
    stack: string;
    /** The stack's config, `namespace:key` to text, in place of Pulumi.<stack>.yaml's. */
    config?: Record<string, string>;
    /** true for `pulumi preview`: computed outputs come back unknown. */
    dryRun?: boolean;
    /** The run is stopped and fails after this long. */
    timeoutMs?: number;
}

interface Project {
    name: string;
    main: string;
    runtime: { name: string; options: Record<string, unknown> };
    config: Record<string, unknown>;
}

function readProject(projectDir: string): Project {
    const file = path.join(projectDir, "Pulumi.yaml");
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    const runtime = typeof doc.runtime === "string" ? { name: doc.runtime, options: {} } : (doc.runtime as { name: string; options?: Record<string, unknown> });
    if (typeof doc.name !== "string") throw new Error(`${file}: name is missing`);
    if (runtime?.name !== "nodejs") throw new Error(`${file}: runtime ${JSON.stringify(runtime?.name)} is not nodejs, the only runtime this host runs`);
    return { name: doc.name, main: typeof doc.main === "string" ? doc.main : "", runtime: { name: runtime.name, options: runtime.options ?? {} }, config: (doc.config as Record<string, unknown>) ?? {} };
}

/** The program's directory and entry point, as pkg/engine/project.go's getPwdMain computes them. */
export function pwdMain(root: string, main: string): { pwd: string; main: string } {
    if (main === "") return { pwd: root, main: "." };
    const full = path.isAbsolute(main) ? main : path.join(path.normalize(root), main);
    if (!fs.existsSync(full)) throw new Error(`project 'main' could not be read: ${full} does not exist`);
    return fs.statSync(full).isDirectory() ? { pwd: full, main: "." } : { pwd: path.dirname(full), main: path.basename(full) };
}

/** Go's json.Marshal: map keys sorted, and <, >, & (and U+2028/9) escaped. */
function goJson(value: unknown): string {
    const sorted = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
    return JSON.stringify(sorted(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A config value as the engine hands it over: strings as they are, anything else as JSON. */
function configText(key: string, value: unknown): string {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
        throw new Error(`config ${key} is a secret: this harness cannot decrypt it`);
    }
    return typeof value === "string" ? value : goJson(value);
}

/**
 * The config the CLI passes for a stack: Pulumi.<stack>.yaml's values, plus the values and defaults
 * Pulumi.yaml declares for keys the stack does not set (pkg/workspace/config.go, mergeConfig).
 */
function stackConfig(projectDir: string, project: Project, stack: string, override?: Record<string, string>): Record<string, string> {
    let config: Record<string, string> = {};
    if (override) config = { ...override };
    else {
        const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
        const doc = fs.existsSync(file) ? (parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null) : null;
        for (const [key, value] of Object.entries(doc?.config ?? {})) config[key] = configText(key, value);
    }
    for (const [rawKey, declared] of Object.entries(project.config)) {
        const key = rawKey.includes(":") ? rawKey : `${project.name}:${rawKey}`;
        if (key in config) continue;
        const spec = declared !== null && typeof declared === "object" && !Array.isArray(declared) ? (declared as Record<string, unknown>) : { default: declared };
        const value = "default" in spec ? spec.default : spec.value;
        if (value !== undefined) config[key] = configText(key, value);
    }
    for (const key of Object.keys(config)) if (!key.includes(":")) throw new Error(`config key "${key}" has no namespace (expected namespace:name)`);
    return config;
}

/** PULUMI_CONFIG as constructConfig writes it: every `ns:name` key as the older `ns:config:name`. */
function pulumiConfigEnv(config: Record<string, string>): string {
    return JSON.stringify(Object.fromEntries(Object.entries(config).map(([key, value]) => {
        const at = key.indexOf(":");
        return [`${key.slice(0, at)}:config:${key.slice(at + 1)}`, value];
    })));
}

/** pkg/resource/deploy/deployment.go, generateURN: the parent's qualified type, unless it is the stack. */
export function generateUrn(stack: string, project: string, parent: string, type: string, name: string): string {
    const parentType = parent === "" ? "" : parent.split("::")[2];
    const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

const INVOKES: Record<string, Record<string, unknown>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/local`, userId: "LOCAL", id: ACCOUNT },
    "aws:index/getPartition:getPartition": { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" },
    "aws:index/getRegion:getRegion": { name: REGION, region: REGION, description: "US East (N. Virginia)", endpoint: `ec2.${REGION}.amazonaws.com`, id: REGION },
};

/** The feature ids pkg/resource/deploy/source_eval.go's supportsFeatureID answers true for. */
const FEATURE_IDS = ["secrets", "resourceReferences", "outputValues", "aliasSpecs", "replacementTrigger", "deletedWith", "replaceWith", "transforms", "invokeTransforms", "parameterization", "resourceHooks", "errorHooks", "sendsOptionsToHooks"];
/** What GetDeploymentInfo advertises (supportedMonitorFeatures): those, plus three the SDK only learns this way. */
const MONITOR_FEATURES = [...FEATURE_IDS.map((id) => id.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()), "BYTE_STRING", "INVOKE_DEPENDS_ON", "INVOKE_PARENT"].map((name) => {
    const value = resourceMessages.ResourceMonitorFeature[`RESOURCE_MONITOR_FEATURE_${name}`];
    if (typeof value !== "number") throw new Error(`this SDK's protocol has no RESOURCE_MONITOR_FEATURE_${name}`);
    return value as number;
});

type Callback = (err: grpc.ServiceError | null, response?: unknown) => void;
type Handler = (call: { request: any }, callback: Callback) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

const structOf = (value: unknown): Record<string, unknown> => (value ? (value as { toJavaScript(): Record<string, unknown> }).toJavaScript() : {});
const failure = (code: grpc.status, details: string): grpc.ServiceError => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });

/** Every method of a service: the given handlers, and for the rest one that records the call and fails it. */
function service(definition: Record<string, unknown>, serviceName: string, handlers: Record<string, Handler>, unhandled: string[]): grpc.UntypedServiceImplementation {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const method of Object.keys(definition)) {
        impl[method] =
            handlers[method] ??
            ((_call: unknown, callback: Callback) => {
                const name = `${serviceName}.${method[0].toUpperCase()}${method.slice(1)}`;
                unhandled.push(name);
                callback(failure(grpc.status.UNIMPLEMENTED, `the test engine does not emulate ${name}`));
            });
    }
    for (const method of Object.keys(handlers)) if (!(method in definition)) throw new Error(`${serviceName} has no method ${method}`);
    return impl;
}

export interface EngineSession {
    monitorAddress: string;
    engineAddress: string;
    /** Filled in as the program calls. */
    run: Omit<HostRun, "exitCode" | "command" | "stdout" | "stderr">;
    stop(): void;
}

/** The ResourceMonitor and Engine gRPC servers for one run of `project` on `stack`. */
export async function startEngine(opts: { project: string; stack: string; config: Record<string, string>; dryRun: boolean; parallel: number }): Promise<EngineSession> {
    const run: EngineSession["run"] = { resources: [], stackOutputs: undefined, log: { debug: [], info: [], warning: [], error: [] }, invokes: [], unhandled: [], shutdownSignalled: false };
    const types = new Map<string, string>();
    let rootUrn = "";

    const monitor = service(resourceServices.ResourceMonitorService, "ResourceMonitor", {
        getDeploymentInfo: (_call, callback) => {
            const info = new resourceMessages.DeploymentInfo();
            info.setProject(opts.project);
            info.setStack(opts.stack);
            info.setOrganization(ORGANIZATION);
            for (const [key, value] of Object.entries(opts.config)) info.getConfigMap().set(key, value);
            info.setConfigsecretkeysList([]);
            info.setDryrun(opts.dryRun);
            info.setParallel(opts.parallel);
            info.setSupportedfeaturesList(MONITOR_FEATURES);
            callback(null, info);
        },
        supportsFeature: (call, callback) => {
            const response = new resourceMessages.SupportsFeatureResponse();
            response.setHassupport(FEATURE_IDS.includes(call.request.getId()));
            callback(null, response);
        },
        registerResource: (call, callback) => {
            const req = call.request;
            const [type, name, parent, custom] = [req.getType() as string, req.getName() as string, req.getParent() as string, req.getCustom() as boolean];
            if (req.getRemote()) {
                run.unhandled.push(`ResourceMonitor.RegisterResource(remote ${type})`);
                return callback(failure(grpc.status.UNIMPLEMENTED, `the test engine does not construct remote (multi-language) components such as ${type}`));
            }
            const urn = generateUrn(opts.stack, opts.project, parent, type, name);
            if (types.has(urn)) return callback(failure(grpc.status.INVALID_ARGUMENT, `Duplicate resource URN '${urn}'; try giving it a unique name`));
            types.set(urn, type);
            const inputs = structOf(req.getObject());
            const propertyDependencies: Record<string, string[]> = {};
            req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }, key: string) => (propertyDependencies[key] = deps.getUrnsList()));
            const id = custom && !opts.dryRun ? name : "";
            run.resources.push({ type, name, urn, parent, custom, inputs, propertyDependencies, id });

            const response = new resourceMessages.RegisterResourceResponse();
            response.setUrn(urn);
            response.setId(id);
            // A custom resource's state is what its provider returns; a component has none until it registers outputs.
            response.setObject(Struct.fromJavaScript(custom ? providerState(type, name, inputs, opts.dryRun) : {}));
            response.setResult(resourceMessages.Result.SUCCESS);
            callback(null, response);
        },
        registerResourceOutputs: (call, callback) => {
            const urn: string = call.request.getUrn();
            if (!types.has(urn)) return callback(failure(grpc.status.INVALID_ARGUMENT, `RegisterResourceOutputs for ${urn}, which was never registered`));
            if (types.get(urn) === ROOT_STACK_TYPE) run.stackOutputs = structOf(call.request.getOutputs());
            callback(null, new Empty());
        },
        invoke: (call, callback) => {
            const token: string = call.request.getTok();
            run.invokes.push({ token, args: structOf(call.request.getArgs()) });
            const answer = INVOKES[token];
            if (!answer) {
                run.unhandled.push(`ResourceMonitor.Invoke(${token})`);
                return callback(failure(grpc.status.UNIMPLEMENTED, `the test engine has no answer for invoke ${token}`));
            }
            const response = new resourceMessages.ResourceInvokeResponse();
            response.setReturn(Struct.fromJavaScript(answer));
            callback(null, response);
        },
        // The engine answers once every step has run; here every step is done when it is answered.
        signalAndWaitForShutdown: (_call, callback) => {
            run.shutdownSignalled = true;
            callback(null, new Empty());
        },
    }, run.unhandled);

    const engine = service(engineServices.EngineService, "Engine", {
        log: (call, callback) => {
            const severity = (["debug", "info", "warning", "error"] as const)[call.request.getSeverity() as number];
            run.log[severity].push(call.request.getMessage());
            callback(null, new Empty());
        },
        getRootResource: (_call, callback) => {
            const response = new engineMessages.GetRootResourceResponse();
            response.setUrn(rootUrn);
            callback(null, response);
        },
        setRootResource: (call, callback) => {
            rootUrn = call.request.getUrn();
            callback(null, new engineMessages.SetRootResourceResponse());
        },
    }, run.unhandled);

    const serve = (definition: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) =>
        new Promise<{ server: grpc.Server; address: string }>((resolve, reject) => {
            const server = new grpc.Server();
            server.addService(definition, impl);
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve({ server, address: `127.0.0.1:${port}` })));
        });
    const monitorServer = await serve(resourceServices.ResourceMonitorService, monitor);
    const engineServer = await serve(engineServices.EngineService, engine);
    return {
        monitorAddress: monitorServer.address,
        engineAddress: engineServer.address,
        run,
        stop: () => {
            monitorServer.server.forceShutdown();
            engineServer.server.forceShutdown();
        },
    };
}

/** What the AWS provider would return: made-up ARNs after `up`; during a preview, what it computes stays unknown. */
function providerState(type: string, name: string, inputs: Record<string, unknown>, dryRun: boolean): Record<string, unknown> {
    const state = mockState(type, name, inputs);
    if (!dryRun) return state;
    // The provider names an auto-named resource when it checks the inputs, so `name` is known in a preview.
    return Object.fromEntries(Object.entries(state).map(([key, value]) => [key, key in inputs || key === "name" ? value : UNKNOWN]));
}

/**
 * Runs the project's program as `pulumi up` (or, with dryRun, `pulumi preview`) would, through
 * @pulumi/pulumi/cmd/run, and returns what it registered, exported and logged.
 */
export async function runWithLanguageHost(options: RunOptions): Promise<HostRun> {
    const projectDir = path.resolve(options.projectDir);
    const project = readProject(projectDir);
    const { pwd, main } = pwdMain(projectDir, project.main);
    const config = stackConfig(projectDir, project, options.stack, options.config);
    const dryRun = options.dryRun ?? false;
    // The CLI's default --parallel: GOMAXPROCS × 4 (pkg/cmd/pulumi/operations/up.go, defaultParallel).
    const parallel = os.availableParallelism() * 4;
    const session = await startEngine({ project: project.name, stack: options.stack, config, dryRun, parallel });
    try {
        // locateModule: require.resolve, in the program's directory, of the SDK's runner.
        const runPath = createRequire(path.join(pwd, "[eval]")).resolve("@pulumi/pulumi/cmd/run");
        // constructArguments. No --sync: the host's pipes serve synchronous invokes, which this SDK no
        // longer makes (runtime/settings.js's tryGetSyncInvokes has no caller). No --tracing either.
        const args = [
            runPath,
            ...["--monitor", session.monitorAddress, "--engine", session.engineAddress],
            ...["--organization", ORGANIZATION, "--project", project.name, "--root-directory", projectDir, "--stack", options.stack, "--pwd", pwd],
            ...(dryRun ? ["--dry-run"] : []),
            ...["--parallel", String(parallel)],
            main,
        ];
        const runtimeOptions = project.runtime.options;
        if (!["undefined", "boolean"].includes(typeof runtimeOptions.typescript)) throw new Error("typescript option must be a boolean");
        if (/["'\\]/.test(String(runtimeOptions.nodeargs ?? ""))) throw new Error("this harness splits nodeargs on spaces only; quoted nodeargs are not supported");
        const env: Record<string, string> = { PULUMI_CONFIG: pulumiConfigEnv(config), PULUMI_CONFIG_SECRET_KEYS: "[]" };
        // parseOptions: typescript is on unless the project turns it off.
        if (runtimeOptions.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
        if (typeof runtimeOptions.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = runtimeOptions.tsconfig;
        // A real switch of cmd/run (ts-node without type checking); `npm test` type-checks the sources already.
        env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
        const nodeArgs = typeof runtimeOptions.nodeargs === "string" ? runtimeOptions.nodeargs.split(/\s+/).filter(Boolean) : [];
        // The CLI's environment, without the PULUMI_* settings a mock-engine test in this process may have left.
        const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PULUMI_"))) as Record<string, string>;
        // process.execPath is the node npm scripts put first on PATH: what the host's exec.LookPath("node") finds.
        const argv = [process.execPath, ...nodeArgs, ...args];
        const child = spawn(argv[0], argv.slice(1), { cwd: pwd, env: { ...inherited, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        // Shorter than mocha's 60 s, so that a hung program is killed and reported with what it called.
        const timeoutMs = options.timeoutMs ?? 45_000;
        const exitCode = await new Promise<number | null>((resolve, reject) => {
            const timer = setTimeout(() => {
                child.kill("SIGKILL");
                reject(new Error(`the program did not exit within ${timeoutMs} ms; unemulated calls: ${session.run.unhandled.join(", ") || "none"}; stderr: ${stderr}`));
            }, timeoutMs);
            child.once("error", (err) => (clearTimeout(timer), reject(err)));
            child.once("close", (code) => (clearTimeout(timer), resolve(code)));
        });
        return { ...session.run, exitCode, command: { argv, cwd: pwd, env }, stdout, stderr };
    } finally {
        session.stop();
    }
}
