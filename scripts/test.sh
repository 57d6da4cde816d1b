#!/usr/bin/env bash
# Runs every check and test: types, lint, unit tests, then integration tests against a real Temporal
# dev server, a real Docker engine, a real S3-compatible server and the loopback LLM server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck" >&2
npx tsc --noEmit
npx tsc --noEmit -p ui/web
echo "== lint" >&2
npx eslint .
npx prettier --check "**/*.{ts,tsx,mts,mjs}" >/dev/null || { echo "formatting differs from Prettier's: run \`npm run format\`" >&2; exit 1; }
echo "== tests" >&2
# Tests that spend minutes waiting on a clock (a 5-minute provider outage) with their own server and
# no Docker run beside the others instead of after them; everything else runs one file at a time.
WAITING=(tests/integration/provider-outage.test.ts)
TEST=(node --import tsx --test --test-concurrency=1 --test-timeout=1200000)
waiting_log=$(mktemp -t mlgym-waiting-tests.XXXXXX)
"${TEST[@]}" "${WAITING[@]}" >"$waiting_log" 2>&1 &
waiting_pid=$!
others=()
for file in tests/unit/*.test.ts tests/integration/*.test.ts; do
  [[ " ${WAITING[*]} " == *" $file "* ]] || others+=("$file")
done
status=0
"${TEST[@]}" "${others[@]}" || status=$?
wait "$waiting_pid" || status=$?
echo "== tests that ran beside the others: ${WAITING[*]}" >&2
cat "$waiting_log"
rm -f "$waiting_log"
exit "$status"
