#!/usr/bin/env bash
# Builds a minimal Debian image offline-from-registries: debootstrap from Debian's package mirror, then
# `docker import`. Used when no container registry is reachable; with a registry, pass
# BASE_IMAGE=debian:bookworm-slim to the image builds instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
IMAGE=${MLGYM_BASE_IMAGE:-mlgym/debian-base:bookworm}
SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if docker image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
root=$(mktemp -d /tmp/mlgym-rootfs.XXXX)
trap 'as_root rm -rf "$root"' EXIT
log "debootstrap $SUITE from $MIRROR (a few minutes, once)"
as_root debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >.mlgym/logs/debootstrap.log 2>&1 || {
  tail -20 .mlgym/logs/debootstrap.log >&2; exit 1; }
as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
as_root tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
log "built base image $IMAGE"
