#!/usr/bin/env bash
# Proves the policy pack works as users install it: `npm ci` inside policies/ from its own lock file,
# a type-check of the pack as the Pulumi CLI type-checks it, then the pack served over Pulumi's
# analyzer protocol with its own node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix policies --no-audit --no-fund --loglevel=error
node_modules/.bin/tsc --noEmit -p policies
node_modules/.bin/mocha tests/policies.test.ts --grep "analyzer protocol"
