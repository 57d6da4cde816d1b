#!/usr/bin/env bash
# The demo: a Temporal dev server (state in .mlgym/, UI on :8233), a worker, and one episode per
# shipped task driven by the `replay` model (recorded replies, no network), then scores and UI links.
# Episodes run at the small scale (the default: the small offline data, prepared on first use, and
# CPU-sized starters); `--scale paper` runs MLGym-Bench's sizes on GPUs after `npx mlgym tasks prepare all`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/provision/lib.sh
bash scripts/setup.sh
RUNTIME=${MLGYM_DEMO_RUNTIME:-docker}
mlgym() { node bin/mlgym.js "$@"; }

ensure_dev_server
log "starting a worker on the small offline data (log: .mlgym/logs/demo-worker.log)"
MLGYM_DATA=${MLGYM_DATA:-small} node bin/mlgym.js worker >.mlgym/logs/demo-worker.log 2>&1 &
worker=$!
trap 'kill -TERM $worker 2>/dev/null; wait $worker 2>/dev/null || true' EXIT

status=0
results=()
for task in $(ls tasks); do
  [ -f "tasks/$task/demo.traj" ] || continue
  log "episode: $task with replay:tasks/$task/demo.traj"
  out=$(mlgym run --task "$task" --model "replay:tasks/$task/demo.traj" --runtime "$RUNTIME" --wait --json) || status=1
  results+=("$out")
done
printf '%s\n' "${results[@]}" | node -e '
  const lines = require("fs").readFileSync(0, "utf8");
  const objects = lines.split(/\n(?=\{)/).filter((s) => s.trim()).map((s) => JSON.parse(s));
  console.log("\nDemo results");
  for (const { episodes } of objects) for (const e of episodes) {
    console.log(`${e.task ?? e.episodeId}: ${e.exitStatus ?? e.status}  score ${JSON.stringify(e.score ?? null)}  best ${e.bestScore ?? "n/a"}  steps ${e.steps ?? "?"}  cost $${(e.costUsd ?? 0).toFixed(2)}`);
    console.log(`  ${e.uiLink}`);
  }
  console.log("\nThe Temporal UI stays up at http://localhost:8233 (stop the server with: npx mlgym server stop).");
'
exit $status
