#!/usr/bin/env bash
# The production Temporal server and what it runs on: the official server and its SQL schema tool,
# built from the pinned Go module (no image registry needed), their PostgreSQL schema files, and
# Debian's PostgreSQL. Prints the folder that holds them (bin/temporal-server, bin/temporal-sql-tool,
# schema/postgresql/v12/...).
#
# The build takes about ten minutes on two cores, so it lands in a cache outside the checkout
# (MLGYM_CACHE, default ~/.cache/mlgym): every clone on the machine shares it, and the second run
# is instant. Needs Go (the module proxy serves go.temporal.io/server).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
TEMPORAL_SERVER_VERSION=v1.31.0
cache=${MLGYM_CACHE:-$HOME/.cache/mlgym}
dest=$cache/temporal-server-$TEMPORAL_SERVER_VERSION
built() { [ -x "$dest/bin/temporal-server" ] && [ -x "$dest/bin/temporal-sql-tool" ] && [ -d "$dest/schema/postgresql/v12" ]; }

command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || apt_install postgresql
if built; then echo "$dest"; exit 0; fi

mkdir -p "$cache"
# Test files may provision concurrently; one builds, the others wait and then find it built.
exec 9>"$cache/temporal-server.lock"
flock 9
if built; then echo "$dest"; exit 0; fi

command -v go >/dev/null 2>&1 || { log "Go is needed to build the Temporal server: install it (https://go.dev/dl/) and run this again"; exit 1; }
log "building the Temporal server $TEMPORAL_SERVER_VERSION from its Go module into $dest (about ten minutes, once)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
GOBIN=$work/bin go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
module=$(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/bin" "$dest.tmp/schema"
mv "$work/bin/server" "$dest.tmp/bin/temporal-server"
mv "$work/bin/sql" "$dest.tmp/bin/temporal-sql-tool"
cp -r "$module/schema/postgresql" "$dest.tmp/schema/"
chmod -R u+w "$dest.tmp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
log "temporal-server $TEMPORAL_SERVER_VERSION built"
echo "$dest"
