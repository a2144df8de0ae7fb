#!/usr/bin/env bash
# Proves the policy pack publishes whole: `pulumi policy publish` uploads the folder as `npm pack`
# packs it, so this copies those files alone (with the pack's lock file, npm-shrinkwrap.json) to an
# empty folder, installs them there with `npm ci`, type-checks them with the pack's own TypeScript,
# then serves the pack through its own @pulumi/pulumi/cmd/run-policy-pack, as the Pulumi CLI does,
# and asks it over the analyzer protocol (tests/policyPackFolder.check.ts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check:policies: $*" >&2; exit 1; }

cd "$root/policies"
files=$(npm pack --dry-run --json --ignore-scripts 2>/dev/null | node -e '
    const [pack] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(pack.files.map((f) => f.path).join("\n"));
') || fail "npm pack --dry-run failed in policies/"
grep -qx "npm-shrinkwrap.json" <<<"$files" || fail "npm pack leaves out policies/npm-shrinkwrap.json, so a published pack would install unpinned dependencies"
mkdir "$work/policies"
while IFS= read -r file; do
    mkdir -p "$work/policies/$(dirname "$file")"
    cp "$file" "$work/policies/$file"
done <<<"$files"
for needed in PulumiPolicy.yaml index.ts tsconfig.json generated/budget.ts generated/workflowTags.ts generated/integrations.ts generated/iamPatterns.ts; do
    [ -f "$work/policies/$needed" ] || fail "npm pack leaves out policies/$needed, so pulumi policy publish would upload a pack without it"
done

cd "$work/policies"
npm ci --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1 || { cat "$work/npm-ci.log" >&2; fail "npm ci failed in a copy of policies/ (see above)"; }
node_modules/.bin/tsc --noEmit -p . || fail "the copy of policies/ does not type-check on its own (errors above)"
echo "check:policies: $(wc -l <<<"$files") files as npm pack packs them, installed from their own lock file and type-checked in $work/policies"

cd "$root"
POLICY_PACK_DIR="$work/policies" node_modules/.bin/mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 60000 tests/policyPackFolder.check.ts
