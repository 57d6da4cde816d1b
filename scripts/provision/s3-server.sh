#!/usr/bin/env bash
# Installs a real S3-compatible server for the tests (moto's `moto_server`, pinned) into the project-local
# venv .mlgym/venv-s3. Idempotent; a no-op when the pinned version is already installed at this path.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
MOTO_VERSION=5.2.5
venv=.mlgym/venv-s3
# The stamp records the absolute path too: a venv's scripts hard-code it, so a moved checkout must rebuild.
stamp="moto==$MOTO_VERSION at $PWD/$venv"
installed() { [ -x "$venv/bin/moto_server" ] && [ "$(cat "$venv/.installed" 2>/dev/null)" = "$stamp" ]; }
installed && exit 0

mkdir -p .mlgym
# Test files may provision concurrently; one builds, the others wait and then find it installed.
exec 9>.mlgym/venv-s3.lock
flock 9
installed && exit 0

# Debian splits venv/ensurepip into python3-venv; other Pythons (pyenv, python.org) ship them.
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
log "installing moto[server]==$MOTO_VERSION into $venv (takes about a minute)"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
echo "$stamp" > "$venv/.installed"
log "moto_server $MOTO_VERSION installed"
