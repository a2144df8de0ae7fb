#!/usr/bin/env bash
# Proves the npm package works in another Pulumi project, installed the two ways a user installs it:
#  1. the tarball `npm pack` makes, in a fresh project with the SDK versions this repository tests
#     against (its devDependencies);
#  2. this repository by git URL (the committed HEAD: npm clones it, installs its devDependencies in
#     the clone and runs `prepare` to build dist/), in a fresh project that already has the OLDEST
#     SDKs the peerDependencies allow, run on the oldest Node.js that `engines` allows.
# Each project type-checks an import of IteratorWorkflow and constructs one under its own
# pulumi.runtime.setMocks, which must register the state machine with one copy of each SDK.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check:pack: $*" >&2; exit 1; }
tsc="$root/node_modules/.bin/tsc"
cd "$root"

# The versions both projects get, from package.json: "^X.Y.Z" peer ranges and a ">=N" engine.
versions=$(node -e '
    const pkg = require("./package.json");
    const refuse = (message) => {
        console.log(message);
        process.exit(1);
    };
    const lowest = (field, range) => /^\^(\d+\.\d+\.\d+)$/.exec(range ?? "")?.[1] ?? refuse(`${field} must be a caret range such as ^1.2.3, got ${JSON.stringify(range)}`);
    const node = /^>=(\d+)$/.exec(pkg.engines?.node ?? "")?.[1] ?? refuse(`engines.node must read >=N, got ${JSON.stringify(pkg.engines?.node)}`);
    const sdks = ["@pulumi/pulumi", "@pulumi/aws"];
    console.log([...sdks.map((s) => lowest(`peerDependencies.${s}`, pkg.peerDependencies?.[s])), ...sdks.map((s) => pkg.devDependencies[s]), node].join(" "));
') || fail "$versions"
read -r pulumi_oldest aws_oldest pulumi_tested aws_tested node_oldest <<<"$versions"

cat > "$work/program.ts" <<'TS'
import * as pulumi from "@pulumi/pulumi";
import { IteratorWorkflow, type IteratorWorkflowArgs } from "iterator-workflow";
const args: IteratorWorkflowArgs = {
    steps: [{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: "arn:aws:lambda:us-east-1:123456789012:function:transcribe" }],
    limits: { maxJobs: 100, maxJobBytes: 512 },
};
export const make = (): pulumi.Output<string> => new IteratorWorkflow("meetings", args).stateMachineArn;
TS

# Run inside a project: its own mock engine, then a workflow from the installed package.
cat > "$work/mocks.js" <<'JS'
const path = require("node:path");
const label = process.argv[2];
let registered = false;
const fail = (message) => {
    console.error(`check:pack: ${label}: ${message}`);
    process.exit(1);
};
process.on("uncaughtException", (err) => fail(`IteratorWorkflow under the project's mocks threw: ${err?.message ?? err}`));
process.on("unhandledRejection", (err) => fail(`IteratorWorkflow under the project's mocks failed: ${err?.message ?? err}`));
process.on("exit", (code) => {
    if (code === 0 && !registered) {
        console.error(`check:pack: ${label}: the state machine's ARN never resolved under the project's mocks`);
        process.exitCode = 1;
    }
});
const packageDir = path.dirname(require.resolve("iterator-workflow/package.json"));
for (const sdk of ["@pulumi/pulumi", "@pulumi/aws"]) {
    const loaded = require.resolve(sdk, { paths: [packageDir] });
    if (loaded !== require.resolve(sdk)) fail(`iterator-workflow loads ${sdk} from ${loaded}, not the project's own copy`);
}
const pulumi = require("@pulumi/pulumi");
const account = "123456789012";
const arns = {
    "aws:sfn/stateMachine:StateMachine": (name) => `arn:aws:states:us-east-1:${account}:stateMachine:${name}`,
    "aws:lambda/function:Function": (name) => `arn:aws:lambda:us-east-1:${account}:function:${name}`,
    "aws:iam/role:Role": (name) => `arn:aws:iam::${account}:role/${name}`,
    "aws:cloudwatch/logGroup:LogGroup": (name) => `arn:aws:logs:us-east-1:${account}:log-group:${name}`,
};
const types = [];
pulumi.runtime.setMocks(
    {
        newResource: ({ type, name, inputs }) => {
            types.push(type);
            return { id: `${name}-id`, state: { ...inputs, name, arn: arns[type]?.(name) ?? `arn:aws:mock:us-east-1:${account}:${name}` } };
        },
        call: ({ token }) => {
            switch (token) {
                case "aws:index/getCallerIdentity:getCallerIdentity":
                    return { accountId: account, arn: `arn:aws:iam::${account}:user/ci`, userId: "ci", id: account };
                case "aws:index/getPartition:getPartition":
                    return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
                case "aws:index/getRegion:getRegion":
                    return { region: "us-east-1", name: "us-east-1", endpoint: "states.us-east-1.amazonaws.com", description: "US East (N. Virginia)", id: "us-east-1" };
                default:
                    // The SDK reports a failed mock invoke with an empty message: say which one here.
                    fail(`unexpected invoke ${token}: add it to these mocks`);
            }
        },
    },
    "consumer",
    "dev",
    false,
);
const { IteratorWorkflow } = require("iterator-workflow");
const workflow = new IteratorWorkflow("meetings", {
    steps: [{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: `arn:aws:lambda:us-east-1:${account}:function:transcribe` }],
    limits: { maxJobs: 100, maxJobBytes: 512 },
});
workflow.stateMachineArn.apply((arn) => {
    if (!types.includes("aws:sfn/stateMachine:StateMachine")) fail(`no state machine was registered, only ${types.join(", ")}`);
    registered = true;
    const versions = ["@pulumi/pulumi", "@pulumi/aws"].map((sdk) => `${sdk}@${require(`${sdk}/package.json`).version}`).join(", ");
    console.log(`check:pack: ${label}: on Node.js ${process.version} with ${versions}, IteratorWorkflow registered ${types.length} resources under the project's own mocks, its state machine ${arn} among them`);
});
JS

# In the project in the current directory: the package built, one copy of each SDK (the project's),
# an import that type-checks, and a workflow under the project's mocks.
check_project() {
    local label=$1 node=$2 sdk copies
    [ -f node_modules/iterator-workflow/dist/components/index.js ] || fail "$label: the installed package has no dist/components/index.js (its prepare script did not build it)"
    for sdk in @pulumi/pulumi @pulumi/aws; do
        [ ! -e "node_modules/iterator-workflow/node_modules/$sdk" ] || fail "$label: iterator-workflow brought its own $sdk (node_modules/iterator-workflow/node_modules/$sdk); the project's copy must be the only one"
        copies=$(find . -path "*/node_modules/$sdk/package.json" | wc -l)
        [ "$copies" -eq 1 ] || fail "$label: $copies copies of $sdk under node_modules: $(find . -path "*/node_modules/$sdk/package.json" | tr '\n' ' ')"
    done
    cp "$work/program.ts" "$work/mocks.js" .
    "$tsc" --noEmit --strict --esModuleInterop --skipLibCheck --module commonjs --moduleResolution node --target ES2022 program.ts ||
        fail "$label: a TypeScript import of IteratorWorkflow does not type-check (errors above)"
    "$node" mocks.js "$label"
}

quiet_npm() {
    local log=$work/npm.log
    npm "$@" --no-audit --no-fund --loglevel=error >"$log" 2>&1 || { cat "$log" >&2; fail "npm $* failed in $PWD (output above)"; }
}

# 1. The tarball.
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
mkdir "$work/tarball-project" && cd "$work/tarball-project"
npm init -y >/dev/null
quiet_npm install "@pulumi/pulumi@$pulumi_tested" "@pulumi/aws@$aws_tested" "$work/$tarball"
check_project "$tarball" node
node -e '
const { moveToEndCode } = require("iterator-workflow/dist/components/moveToEndCode");
if (!/exports\.handler\s*=/.test(moveToEndCode())) { console.error("check:pack: the packed MoveToEnd code has no handler"); process.exit(1); }
'

# 2. The repository by git URL, into a project that already has the oldest SDKs.
head=$(git -C "$root" rev-parse HEAD)
if [ -n "$(git -C "$root" status --porcelain -- package.json tsconfig.build.json components functions scripts/prepare.js)" ]; then
    echo "check:pack: note: the git install below is the committed HEAD ($head); uncommitted changes to the package are not in it"
fi
mkdir "$work/git-project" && cd "$work/git-project"
cat > package.json <<JSON
{
  "name": "git-project",
  "version": "1.0.0",
  "private": true,
  "dependencies": { "@pulumi/pulumi": "$pulumi_oldest", "@pulumi/aws": "$aws_oldest" },
  "devDependencies": { "node": "$node_oldest" },
  "allowScripts": { "node": true }
}
JSON
quiet_npm install
[ "$(node_modules/.bin/node -p 'process.versions.node.split(".")[0]')" = "$node_oldest" ] || fail "the project's node_modules/.bin/node is not Node.js $node_oldest"
quiet_npm install "git+file://$root#$head"
check_project "git HEAD $(git -C "$root" rev-parse --short HEAD)" node_modules/.bin/node
