#!/usr/bin/env bash
# Proves the npm package works for another Pulumi project: packs it, installs the tarball into a
# fresh project, type-checks an import of IteratorWorkflow and loads it, including the MoveToEnd code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
mkdir "$work/consumer" && cd "$work/consumer"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "$work/$tarball" >/dev/null
cat > program.ts <<'TS'
import * as pulumi from "@pulumi/pulumi";
import { IteratorWorkflow, type IteratorWorkflowArgs } from "iterator-workflow";
const args: IteratorWorkflowArgs = {
    steps: [{ kind: "lambda", name: "Transcribe", resultKey: "transcript", function: "arn:aws:lambda:us-east-1:123456789012:function:transcribe" }],
    limits: { maxJobs: 100, maxJobBytes: 512 },
};
export const make = (): pulumi.Output<string> => new IteratorWorkflow("meetings", args).stateMachineArn;
TS
"$root/node_modules/.bin/tsc" --noEmit --strict --esModuleInterop --skipLibCheck --module commonjs --moduleResolution node --target ES2022 program.ts
node -e '
const pkg = require("iterator-workflow");
if (typeof pkg.IteratorWorkflow !== "function") throw new Error("IteratorWorkflow is not exported");
const { moveToEndCode } = require("iterator-workflow/dist/components/moveToEndCode");
if (!/exports\.handler\s*=/.test(moveToEndCode())) throw new Error("the packed MoveToEnd code has no handler");
console.log("packed " + process.argv[1] + ": imports, type-checks and carries the MoveToEnd code");
' "$tarball"
