#!/usr/bin/env bash
# Runs every check and test: types, lint, unit tests, then integration tests against a real Temporal
# dev server, a real Docker engine, a real S3-compatible server and the loopback LLM server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck" >&2
npx tsc --noEmit
echo "== lint" >&2
npx eslint .
npx prettier --check "**/*.{ts,mjs}" >/dev/null || { echo "formatting differs from Prettier's: run \`npm run format\`" >&2; exit 1; }
echo "== tests" >&2
node --import tsx --test --test-concurrency=1 --test-timeout=1200000 tests/unit/*.test.ts tests/integration/*.test.ts
