#!/usr/bin/env bash
# Builds the task sandbox image mlgym/task-python:latest when it is missing or docker/task/ changed.
# The image carries a label with a hash of its build context and base image, so an up-to-date image
# costs one `docker image inspect`. Base image: $MLGYM_BASE_IMAGE, default the local debootstrap
# image (built first by docker/base/build-base.sh when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
IMAGE=${MLGYM_TASK_IMAGE:-mlgym/task-python:latest}
BASE=${MLGYM_BASE_IMAGE:-mlgym/debian-base:bookworm}
CONTEXT=docker/task
LABEL=mlgym.context-hash

# Hash of every file's path and content in the context plus the base image name: any edit rebuilds.
hash=$( (cd "$CONTEXT" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "base=$BASE") \
  | sha256sum | cut -c1-16)
current=$(docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null || true)
if [ "$current" = "$hash" ]; then exit 0; fi
previous=$(docker image inspect --format '{{ .Id }}' "$IMAGE" 2>/dev/null || true)

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  if [ "$BASE" = mlgym/debian-base:bookworm ]; then
    MLGYM_BASE_IMAGE="$BASE" bash docker/base/build-base.sh
  else
    log "base image $BASE is not present; docker build will try to pull it"
  fi
fi
mkdir -p .mlgym/logs
log "building $IMAGE from $CONTEXT (base $BASE; log: .mlgym/logs/image-task.log)"
docker build --build-arg "BASE_IMAGE=$BASE" --label "$LABEL=$hash" -t "$IMAGE" "$CONTEXT" \
  >.mlgym/logs/image-task.log 2>&1 || { tail -30 .mlgym/logs/image-task.log >&2; exit 1; }
log "built $IMAGE ($hash)"
# The replaced image is now untagged; remove it unless a container still uses it.
built=$(docker image inspect --format '{{ .Id }}' "$IMAGE")
if [ -n "$previous" ] && [ "$previous" != "$built" ]; then docker rmi "$previous" >/dev/null 2>&1 || true; fi
