#!/usr/bin/env bash
# One paper-scale episode each of House Price and CIFAR-10 on this machine's GPUs, driven by the
# tasks' replay trajectories (the demo's: run the starter, validate, submit), under MLGym's
# conditions. Prints, per task, the baseline the prompt showed, the score and the wall time.
#
# Needs a GPU (`nvidia-smi` works), the CUDA images (built here with MLGYM_CUDA=1) and the
# paper-scale data (prepared here; offline, prepare it first with
# `npx mlgym tasks prepare <task> --scale paper --source DIR`). Without a GPU it says so and exits 0.
#   bash scripts/bench/paper-gpu.sh [task ...]     (default: regressionKaggleHousePrice imageClassificationCifar10)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi --query-gpu=index,name --format=csv,noheader >/tmp/mlgym-gpus.$$ 2>&1; then
  echo "paper-gpu: no GPU is present on this machine (nvidia-smi is missing or finds no GPU): nothing to run."
  echo "paper-gpu: run it on a machine with NVIDIA GPUs and their driver; it needs 1 GPU per task."
  rm -f /tmp/mlgym-gpus.$$
  exit 0
fi
log "GPUs: $(tr '\n' ';' </tmp/mlgym-gpus.$$)"
rm -f /tmp/mlgym-gpus.$$
TASKS=("$@")
[ ${#TASKS[@]} -gt 0 ] || TASKS=(regressionKaggleHousePrice imageClassificationCifar10)

bash scripts/setup.sh
MLGYM_CUDA=1 MLGYM_IMAGES="python ml" bash scripts/provision/images.sh
mlgym() { node bin/mlgym.js "$@"; }
for task in "${TASKS[@]}"; do mlgym tasks prepare "$task" --scale paper; done

ensure_dev_server
log "starting a worker on this machine's GPUs (log: .mlgym/logs/paper-gpu-worker.log)"
node bin/mlgym.js worker >.mlgym/logs/paper-gpu-worker.log 2>&1 &
worker=$!
trap 'kill -TERM $worker 2>/dev/null; wait $worker 2>/dev/null || true' EXIT
sleep 5

status=0
for task in "${TASKS[@]}"; do
  baseline=$(mlgym tasks list --scale paper --conditions mlgym --json | node -e '
    const { tasks } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const t = tasks.find((x) => x.id === process.argv[1]);
    console.log(`${t.baseline ?? "unknown"} (${t.baselineOrigin}: ${t.baselineSource})`);' "$task")
  started=$(date +%s)
  out=$(mlgym run --task "$task" --model "replay:tasks/$task/demo.traj" --scale paper --conditions mlgym --wait --json) || status=1
  seconds=$(($(date +%s) - started))
  printf '%s\n' "$out" | node -e '
    const [task, baseline, seconds] = process.argv.slice(1);
    const { episodes } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const e of episodes)
      console.log(`${task} at paper scale: ${e.exitStatus ?? e.status}, score ${JSON.stringify(e.score ?? null)}, baseline ${baseline}, ${seconds} s\n  ${e.uiLink}`);' \
    "$task" "$baseline" "$seconds"
done
exit $status
