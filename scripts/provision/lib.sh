# Shared helpers for the provisioning scripts: logging to stderr and a root/sudo wrapper.
log() { printf '[provision] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Starts `mlgym server` (the Temporal dev server, state in .mlgym/) in the background unless one
# answers on localhost:7233, and waits up to a minute for it. Run from the repository root.
ensure_dev_server() {
  .mlgym/bin/temporal operator cluster health --address localhost:7233 >/dev/null 2>&1 && return 0
  log "starting the Temporal dev server in the background (log: .mlgym/logs/server.log)"
  nohup node bin/mlgym.js server >.mlgym/logs/server.log 2>&1 &
  for _ in $(seq 1 60); do
    .mlgym/bin/temporal operator cluster health --address localhost:7233 >/dev/null 2>&1 && return 0
    sleep 1
  done
}
