#!/usr/bin/env bash
# Installs everything the project needs, idempotently; fast when nothing is missing.
#   npm packages, the viewer's browser app, the pinned temporal binary, the Docker engine, the offline base image, task images.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/provision/lib.sh
mkdir -p .mlgym/logs
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  # Not `npm ci`: registry mirrors that lack other platforms' optional binaries (e.g. @swc/core for
  # darwin) make ci refuse the lock file, while install resolves the same locked versions.
  npm install --no-audit --no-fund --loglevel=error >&2
fi
bash scripts/provision/ui.sh
bash scripts/provision/temporal.sh
bash scripts/provision/python-tools.sh
if [ "${MLGYM_SKIP_DOCKER:-}" != 1 ]; then
  bash scripts/provision/docker.sh
  bash scripts/provision/images.sh
fi
