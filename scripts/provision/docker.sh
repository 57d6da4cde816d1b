#!/usr/bin/env bash
# Makes a Docker engine available: installs Debian's docker.io when missing and starts dockerd when no
# engine answers. Idempotent; fast when the engine is already up.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
if docker info >/dev/null 2>&1; then exit 0; fi
command -v dockerd >/dev/null 2>&1 || apt_install docker.io
apt_install iptables
mkdir -p .mlgym/logs
# A second engine (its own --host socket, as the fleet test starts) is not this one.
if ! pgrep -a -x dockerd | grep -qv -- '--host='; then
  log "starting dockerd (log: .mlgym/logs/dockerd.log)"
  as_root nohup dockerd >.mlgym/logs/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then log "docker engine is up"; exit 0; fi
  sleep 1
done
log "dockerd did not come up in 60 s; see .mlgym/logs/dockerd.log"
tail -20 .mlgym/logs/dockerd.log >&2 || true
exit 1
