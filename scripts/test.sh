#!/usr/bin/env bash
# The project's test command (README): type-check, generated/ freshness, then the vitest suite.
# WebGPU tests run on Mesa lavapipe, which scripts/setup-lavapipe.sh installs on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/setup-lavapipe.sh)"
npx tsc --noEmit
if [ -d generated ] && ls specs/*.mohawk >/dev/null 2>&1 && grep -q "'build'" cli/main.ts && ! grep -q 'not implemented yet' cli/verbs/build.ts; then
  node bin/mohawkc.mjs build specs/*.mohawk --check
fi
npx vitest run "$@"
