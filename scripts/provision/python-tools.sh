#!/usr/bin/env bash
# Installs what the agent's tools (tools/lib/mlgym.sh) need on this host, for the local runtime and
# the unit tests (the sandbox images have the same): flake8, the lint gate of edit and insert, and
# `file`, with which open recognises images. Fast when both are there.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
FLAKE8_VERSION=7.1.1
command -v file >/dev/null || apt_install file
python3 -m flake8 --version >/dev/null 2>&1 && exit 0
log "installing flake8==$FLAKE8_VERSION from PyPI"
# PEP 668 pythons (Debian's) refuse to install outside a venv unless told to.
python3 -m pip install --quiet "flake8==$FLAKE8_VERSION" ||
  python3 -m pip install --quiet --break-system-packages "flake8==$FLAKE8_VERSION"
python3 -m flake8 --version >/dev/null
