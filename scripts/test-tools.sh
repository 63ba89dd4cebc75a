#!/usr/bin/env bash
# Build the test tools from their Go modules into .build/bin (ignored), once per machine and
# again only when a pin or this script changes. Pins: testtools/versions.env.
#   scripts/test-tools.sh [build [TOOL...]]  build what is missing or stale (make tools)
#   scripts/test-tools.sh update [TOOL...]  regenerate testtools/<tool>/go.mod and go.sum from the pins
# Only the Go module proxy is needed; nothing is downloaded as a binary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="$ROOT/.build/bin"
# shellcheck source=/dev/null
source testtools/versions.env
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
STAGING="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice
externaljwt kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet
metrics mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller
streaming"

# tool -> "module@version package..." (what `go get -tool` pins and `go build` builds)
K8S_CMDS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
CONTAINERD_CMDS="containerd ctr containerd-shim-runc-v2"
CNI_CMDS="main/bridge main/loopback ipam/host-local meta/portmap"
declare -A MODULE=(
  [kubernetes]="k8s.io/kubernetes@$KUBERNETES $(printf 'k8s.io/kubernetes/cmd/%s ' $K8S_CMDS)"
  [etcd]="go.etcd.io/etcd/server/v3@$ETCD go.etcd.io/etcd/server/v3"
  [kustomize]="sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE sigs.k8s.io/kustomize/kustomize/v5"
  [helm]="helm.sh/helm/v3@$HELM helm.sh/helm/v3/cmd/helm"
  [helm4]="helm.sh/helm/v4@$HELM4 helm.sh/helm/v4/cmd/helm"
  [actionlint]="github.com/rhysd/actionlint@$ACTIONLINT github.com/rhysd/actionlint/cmd/actionlint"
  [argocd]="github.com/argoproj/argo-cd/v3@$ARGOCD github.com/argoproj/argo-cd/v3/cmd"
  [containerd]="github.com/containerd/containerd/v2@$CONTAINERD $(printf 'github.com/containerd/containerd/v2/cmd/%s ' $CONTAINERD_CMDS)"
  [runc]="github.com/opencontainers/runc@$RUNC github.com/opencontainers/runc"
  [cni]="github.com/containernetworking/plugins@$CNI_PLUGINS $(printf 'github.com/containernetworking/plugins/plugins/%s ' $CNI_CMDS)"
  [crictl]="sigs.k8s.io/cri-tools@$CRI_TOOLS sigs.k8s.io/cri-tools/cmd/crictl"
  [coredns]="github.com/coredns/coredns@$COREDNS github.com/coredns/coredns"
)
declare -A BINARIES=(
  [kubernetes]="$K8S_CMDS"
  [etcd]="etcd"
  [kustomize]="kustomize"
  [helm]="helm"
  [helm4]="helm4"
  [actionlint]="actionlint"
  [argocd]="argocd"
  [containerd]="$CONTAINERD_CMDS"
  [runc]="runc"
  [cni]="bridge loopback host-local portmap"
  [crictl]="crictl"
  [coredns]="coredns"
)
TOOLS="etcd kustomize helm helm4 actionlint kubernetes argocd containerd runc cni crictl coredns"
# Where a tool's binaries go: the CNI plugins in a directory of their own (containerd runs every
# file there as a plugin).
outdir() {
  if [ "$1" = cni ]; then echo "$ROOT/.build/cni-bin"; else echo "$BIN"; fi
}
# Build tags: containerd without the snapshotters that need cgo (btrfs, devmapper, zfs), runc
# with seccomp (the kubelet asks every pod for RuntimeDefault, and a runc without it fails them).
tags() {
  case "$1" in
    containerd) echo "urfave_cli_no_docs no_btrfs no_devmapper no_zfs" ;;
    runc) echo "urfave_cli_no_docs seccomp" ;;
    *) echo "" ;;
  esac
}
# runc is the one tool built with cgo (its nsenter is C; seccomp links libseccomp).
cgo() {
  if [ "$1" = runc ]; then echo 1; else echo 0; fi
}
# The Go each tool is built with: Argo CD needs a newer one than the machine's, which the go
# command fetches from the module proxy as a pinned toolchain module.
toolchain() {
  if [ "$1" = argocd ]; then echo "$ARGOCD_GO"; else echo local; fi
}

ldflags() {
  if [ "$1" = kubernetes ]; then
    local minor="${KUBERNETES#v1.}"; minor="${minor%%.*}"
    echo "-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES" \
      "-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  elif [ "$1" = helm ]; then  # what `helm version` says, as Helm's own Makefile sets it
    echo "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM"
  elif [ "$1" = helm4 ]; then
    echo "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM4"
  elif [ "$1" = actionlint ]; then
    echo "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT"
  elif [ "$1" = argocd ]; then  # what `argocd version` says, as Argo CD's own Makefile sets it
    echo "-s -w -X github.com/argoproj/argo-cd/v3/common.version=${ARGOCD#v}"
  elif [ "$1" = containerd ]; then  # what `containerd --version` says (and CRI reports)
    local package=github.com/containerd/containerd/v2/version
    echo "-s -w -X $package.Version=$CONTAINERD -X $package.Revision=$CONTAINERD" \
      "-X $package.Package=github.com/containerd/containerd"
  elif [ "$1" = runc ]; then
    echo "-s -w -X main.version=${RUNC#v} -X main.gitCommit=$RUNC"
  elif [ "$1" = cni ]; then
    echo "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS"
  elif [ "$1" = crictl ]; then
    echo "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS"
  else
    echo "-s -w"
  fi
}

update() {
  local tool="$1" dir="testtools/$1"
  read -r pinned packages <<<"${MODULE[$tool]}"
  mkdir -p "$dir"
  rm -f "$dir/go.mod" "$dir/go.sum"
  export GOTOOLCHAIN
  GOTOOLCHAIN="$(toolchain "$tool")"
  (cd "$dir" && go mod init "krm-fn.dev/testtools/$tool" >/dev/null 2>&1 && go mod edit -go=1.26.0)
  if [ "$tool" = argocd ]; then  # built outside its repository: its go.mod's replace lines
    (cd "$dir" && go mod edit -go="${ARGOCD_GO#go}")
    local mod
    mod="$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "$pinned" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
    sed -n '/^replace (/,/^)/p' "$mod" | grep -v '=> \./' >> "$dir/go.mod"
  fi
  if [ "$tool" = kubernetes ]; then  # its staging modules are required at v0.0.0: use the release
    for module in $STAGING; do
      (cd "$dir" && go mod edit -replace="k8s.io/$module=k8s.io/$module@v0.${KUBERNETES#v1.}")
    done
  fi
  local tools=()
  for package in $packages; do tools+=("$package@${pinned#*@}"); done
  (cd "$dir" && GOFLAGS=-mod=mod go get -tool "${tools[@]}" && GOFLAGS=-mod=mod go mod tidy)
  echo "updated $dir/go.mod for $pinned"
}

build() {
  local tool="$1" dir="testtools/$1"
  read -r pinned packages <<<"${MODULE[$tool]}"
  local module="${pinned%@*}" version="${pinned#*@}"
  if ! grep -q "^	$module $version\b" "$dir/go.mod" && ! grep -q "^require $module $version\b" "$dir/go.mod"; then
    echo "testtools/$tool/go.mod does not pin $module $version (testtools/versions.env):" \
      "run make test-tools-update" >&2
    exit 1
  fi
  local stamp out_dir
  out_dir="$(outdir "$tool")"
  stamp="$(cat "$dir/go.mod" "$dir/go.sum" <(ldflags "$tool") <(toolchain "$tool") <(go version) \
    <(tags "$tool") | sha256sum | cut -c1-16)"
  local all_there=yes
  for binary in ${BINARIES[$tool]}; do
    [ -x "$out_dir/$binary" ] && [ "$(cat "$out_dir/.$binary.stamp" 2>/dev/null)" = "$stamp" ] \
      || all_there=no
  done
  if [ "$tool" = argocd ]; then  # its CRDs and install.yaml, from the module the binary is built from
    [ "$(cat "$ROOT/.build/argocd/.crds.stamp" 2>/dev/null)" = "$stamp" ] || all_there=no
  fi
  if [ "$all_there" = yes ]; then
    return
  fi
  echo "building ${BINARIES[$tool]} ($pinned) into ${out_dir#"$ROOT/"}: the first time takes minutes"
  local start=$SECONDS
  mkdir -p "$out_dir"
  local out="$out_dir/"
  case "${BINARIES[$tool]}" in *" "*) ;; *) out="$out_dir/${BINARIES[$tool]}" ;; esac  # one: its name
  if [ "$tool" = runc ] && ! pkg-config --exists libseccomp; then
    echo "runc needs libseccomp-dev and pkg-config (scripts/install-test-tools.sh installs them)" >&2
    exit 1
  fi
  local extra=()
  [ "$tool" = runc ] && extra=(-buildmode=pie)
  # shellcheck disable=SC2086
  (cd "$dir" && CGO_ENABLED="$(cgo "$tool")" GOTOOLCHAIN="$(toolchain "$tool")" go build -trimpath \
    "${extra[@]}" -tags "$(tags "$tool")" -ldflags "$(ldflags "$tool")" -o "$out" $packages)
  if [ "$tool" = containerd ]; then  # the shim talks ttrpc only: built without gRPC, as upstream
    (cd "$dir" && go build -trimpath -tags "$(tags "$tool") no_grpc" -ldflags "$(ldflags "$tool")" \
      -o "$out_dir/" github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2)
  fi
  if [ "$tool" = argocd ]; then
    local source
    source="$(cd "$dir" && GOTOOLCHAIN="$(toolchain "$tool")" go list -m -f '{{.Dir}}' "$module")"
    rm -rf "$ROOT/.build/argocd/crds" && mkdir -p "$ROOT/.build/argocd/crds"
    cp "$source"/manifests/crds/*-crd.yaml "$ROOT/.build/argocd/crds/"
    cp "$source"/manifests/install.yaml "$ROOT/.build/argocd/install.yaml"
    # the repo-server runs this script of Argo CD's image for every checkout (its Dockerfile puts
    # it in /usr/local/bin)
    mkdir -p "$ROOT/.build/argocd/bin"
    cp "$source"/hack/git-verify-wrapper.sh "$ROOT/.build/argocd/bin/"
    chmod -R u+w "$ROOT/.build/argocd" && chmod +x "$ROOT/.build/argocd/bin/git-verify-wrapper.sh"
    echo "$stamp" > "$ROOT/.build/argocd/.crds.stamp"
  fi
  for binary in ${BINARIES[$tool]}; do
    echo "$stamp" > "$out_dir/.$binary.stamp"
  done
  echo "built ${BINARIES[$tool]} in $((SECONDS - start)) s"
}

command -v go >/dev/null || { echo "go is missing: the test tools are built from Go modules" >&2; exit 1; }
case "${1:-build}" in
  update) shift; for tool in ${*:-$TOOLS}; do update "$tool"; done ;;
  build) shift || true; for tool in ${*:-$TOOLS}; do build "$tool"; done ;;
  *) echo "usage: $0 [build | update [TOOL...]]" >&2; exit 2 ;;
esac
