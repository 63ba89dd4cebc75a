#!/usr/bin/env bash
# Install what the tests run for real: Debian's nginx (and its stream module), not started as a
# service; busybox, whose applets (nc, wget, nslookup, sh) are what the injected init containers run;
# shellcheck, which actionlint runs on the release workflow's scripts; zsh and fish, which load
# the shell completions (krm-fn completion); redis, the cache Argo CD's servers share. For the
# node of the tests (tests/node.py): gcc, pkg-config and libseccomp-dev to build runc with seccomp,
# mmdebstrap to make the pods' images from Debian's packages, iproute2 for the pods' bridge, nftables
# for kube-proxy's rules, conntrack for its cleanup.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(nginx-core libnginx-mod-stream busybox shellcheck zsh fish redis-server
  gcc pkg-config libseccomp-dev mmdebstrap iproute2 nftables conntrack)
guard=/usr/sbin/policy-rc.d
added_guard=0
if [ ! -e "$guard" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$guard" && chmod +x "$guard" && added_guard=1
fi
trap '[ "$added_guard" = 1 ] && rm -f "$guard"' EXIT
apt-get install -y -qq "${packages[@]}" >/dev/null 2>&1 || {
  apt-get update -qq
  apt-get install -y -qq "${packages[@]}" >/dev/null
}
/usr/sbin/nginx -v
busybox true && echo "busybox installed"
