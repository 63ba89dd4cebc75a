#!/usr/bin/env bash
# Build the krm-fn image offline, as machine.md describes: podman with runc, a base image made
# with mmdebstrap from Debian's packages (no registry is reachable), pip through this machine's
# CA bundle. Leaves .build/containers.conf (podman settings) and .build/shim/docker (kustomize
# runs container functions with `docker`; the shim points it to podman).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' krm_fn/__init__.py)"  # the one place
IMAGE="${IMAGE:-localhost/krm-fn:$VERSION}"
# The base's Debian packages: Python, and the C++ runtime google-re2's wheel links against (as
# python:3.11-slim has it). The base's tag names the list, so a change builds it again.
PACKAGES=python3,python3-venv,python3-pip,ca-certificates,libstdc++6
BASE="${BASE:-localhost/krm-fn-base:bookworm-$(printf %s "$PACKAGES" | sha256sum | cut -c1-8)}"
BUILD=.build
mkdir -p "$BUILD/shim"

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v mmdebstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq podman runc mmdebstrap >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq podman runc mmdebstrap >/dev/null
  }
fi

cat > "$BUILD/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$PWD/$BUILD/containers.conf"
ln -sf "$(command -v podman)" "$BUILD/shim/docker"

if ! podman image exists "$BASE"; then
  mmdebstrap --quiet --mode=root --variant=essential \
    --include="$PACKAGES" \
    bookworm "$BUILD/rootfs.tar" "deb http://deb.debian.org/debian bookworm main"
  podman import -q --change 'CMD ["/bin/bash"]' "$BUILD/rootfs.tar" "$BASE" >/dev/null
  rm -f "$BUILD/rootfs.tar"
fi

cert=/etc/ssl/certs/ca-certificates.crt
args=(--build-arg "BASE_IMAGE=$BASE")
if [ -f "$cert" ]; then
  args+=(-v "$cert:$cert:ro" --build-arg "PIP_CERT=$cert")
fi
podman build -q -t "$IMAGE" "${args[@]}" . >/dev/null
echo "built $IMAGE"
