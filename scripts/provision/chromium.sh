#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the report-rendering test (driven by playwright-core).
# Idempotent: a no-op when /usr/bin/chromium exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
[ -x /usr/bin/chromium ] && exit 0
mkdir -p .mlgym
# Test files may provision concurrently; one installs, the others wait and then find it installed.
exec 9>.mlgym/chromium.lock
flock 9
[ -x /usr/bin/chromium ] && exit 0
apt_install chromium fonts-dejavu-core
log "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
