#!/usr/bin/env bash
# Builds the task sandbox images when missing or when their build context changed:
#   mlgym/task-python  docker/task  Debian + Python 3.11 + the unprivileged agent user
#   mlgym/task-ml      docker/ml    + numpy, pandas, scipy, scikit-learn, torch, torchvision,
#                                     transformers, datasets, gymnasium
#   mlgym/task-rl      docker/rl    + jax (CPU), gymnax, flax, optax
# Each image carries a label with a hash of its build context and build arguments, so an
# up-to-date image costs one `docker image inspect`. Build arguments:
#   MLGYM_BASE_IMAGE  root of the chain (default: the local debootstrap image, built when missing;
#                     with a registry, debian:bookworm-slim works as well)
#   MLGYM_CUDA=1      the paper-scale GPU images: both of the next two at once
#   MLGYM_TORCH_SOURCE=pypi  the CUDA torch wheels from PyPI instead of Debian's CPU torch
#   MLGYM_JAX_EXTRA=cuda12   the CUDA jaxlib instead of the CPU one
#   MLGYM_IMAGES      which images to build (default: "python ml rl")
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/provision/lib.sh
BASE=${MLGYM_BASE_IMAGE:-mlgym/debian-base:bookworm}
TASK_IMAGE=mlgym/task-python:latest
LABEL=mlgym.context-hash
mkdir -p .mlgym/logs

# build <name> <image> <context> <build-arg>...   ($parent: the parent image's id, part of the hash)
build() {
  local name=$1 image=$2 context=$3
  shift 3
  local args=("$@")
  # Hash of every tracked file's path and content plus the build arguments: any edit rebuilds.
  local hash
  hash=$( (cd "$context" && find . -type f -not -path './.extra-ca/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; printf '%s\n' "${args[@]}" "parent=${parent:-}") \
    | sha256sum | cut -c1-16)
  local current previous
  current=$(docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$image" 2>/dev/null || true)
  if [ "$current" = "$hash" ]; then return 0; fi
  previous=$(docker image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)
  # Machines behind a TLS-intercepting proxy trust an extra CA; pip inside the build needs it too.
  # It is used for the build's downloads only (see docker/*/Dockerfile) and is not committed.
  rm -rf "$context/.extra-ca" && mkdir -p "$context/.extra-ca"
  cp /usr/local/share/ca-certificates/*.crt "$context/.extra-ca/" 2>/dev/null || true
  local buildargs=()
  for a in "${args[@]}"; do buildargs+=(--build-arg "$a"); done
  log "building $image from $context (${args[*]}; log: .mlgym/logs/image-$name.log)"
  if ! docker build "${buildargs[@]}" --label "$LABEL=$hash" -t "$image" "$context" >".mlgym/logs/image-$name.log" 2>&1; then
    rm -rf "$context/.extra-ca"
    tail -30 ".mlgym/logs/image-$name.log" >&2
    exit 1
  fi
  rm -rf "$context/.extra-ca"
  log "built $image ($hash)"
  # The replaced image is now untagged; remove it unless a container still uses it.
  local built
  built=$(docker image inspect --format '{{ .Id }}' "$image")
  if [ -n "$previous" ] && [ "$previous" != "$built" ]; then docker rmi "$previous" >/dev/null 2>&1 || true; fi
}

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  if [ "$BASE" = mlgym/debian-base:bookworm ]; then
    MLGYM_BASE_IMAGE="$BASE" bash docker/base/build-base.sh
  else
    log "base image $BASE is not present; docker build will try to pull it"
  fi
fi

case ${MLGYM_CUDA:-0} in
  1) MLGYM_TORCH_SOURCE=${MLGYM_TORCH_SOURCE:-pypi} MLGYM_JAX_EXTRA=${MLGYM_JAX_EXTRA:-cuda12}
     log "MLGYM_CUDA=1: CUDA torch from PyPI ($MLGYM_TORCH_SOURCE), CUDA JAX ($MLGYM_JAX_EXTRA)" ;;
  0) ;;
  *) log "MLGYM_CUDA must be 0 or 1, not \"$MLGYM_CUDA\""; exit 2 ;;
esac

for name in ${MLGYM_IMAGES:-python ml rl}; do
  case $name in
    python) parent='' build python "$TASK_IMAGE" docker/task "BASE_IMAGE=$BASE" ;;
    # The python image's id is part of their hash, so rebuilding it rebuilds these too.
    ml) parent=$(docker image inspect --format '{{ .Id }}' "$TASK_IMAGE") \
          build ml mlgym/task-ml:latest docker/ml "TASK_IMAGE=$TASK_IMAGE" "TORCH_SOURCE=${MLGYM_TORCH_SOURCE:-debian}" ;;
    rl) parent=$(docker image inspect --format '{{ .Id }}' "$TASK_IMAGE") \
          build rl mlgym/task-rl:latest docker/rl "TASK_IMAGE=$TASK_IMAGE" "JAX_EXTRA=${MLGYM_JAX_EXTRA:-cpu}" ;;
    *) log "unknown image \"$name\" in MLGYM_IMAGES (known: python ml rl)"; exit 2 ;;
  esac
done
