#!/usr/bin/env bash
# Builds the viewer's browser app (ui/web -> ui/dist, `mlgym ui` serves it) when its sources changed
# since the last build: a hash of the sources and the lock file is kept beside the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
hash=$(find ui/web ui/shared -type f -not -path '*/node_modules/*' -print0 | sort -z | xargs -0 sha256sum | cat - package-lock.json | sha256sum | cut -c1-16)
[ "$(cat ui/dist/.source-hash 2>/dev/null)" = "$hash" ] && exit 0
log "building the viewer's browser app (ui/dist)"
npx vite build --config ui/web/vite.config.mts --logLevel warn >&2
echo "$hash" >ui/dist/.source-hash
