# Shared settings for the hack/ scripts. Sourced, never run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_VERSION="v1.37.2"
# Built binaries (control plane, kubelet, containerd) and images are cached
# per version outside the clone, so every clone on a machine (a developer's,
# CI's fresh one) shares the build that is the long part of a cold start.
CACHE_DIR="${ESHELL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-eshell}"
BIN_DIR="$CACHE_DIR/k8s-$K8S_VERSION/bin"
CONTAINERD_VERSION="v2.4.2"
CONTAINERD_BIN_DIR="$CACHE_DIR/containerd-$CONTAINERD_VERSION/bin"
KUBE_ROUTER_VERSION="v2.1.0"
KUBE_ROUTER_BIN_DIR="$CACHE_DIR/kube-router-$KUBE_ROUTER_VERSION/bin"
CLUSTER_DIR="${ESHELL_CLUSTER_DIR:-$ROOT/.cluster}"
# The node: named by its address (the kubelet refuses a loopback --node-ip,
# but an IP-shaped hostname becomes the Node's InternalIP), with pods on a
# bridge of their own that cluster-down removes.
NODE_NAME="127.0.0.1"
BRIDGE="eshell0"
POD_CIDR="10.88.0.0/16"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The build scripts (build-control-plane.sh, build-containerd.sh) share these.

# missing_binaries DIR NAME...: prints the NAMEs not yet built in DIR.
missing_binaries() {
  local dir="$1" b; shift
  for b in "$@"; do [ -x "$dir/$b" ] || echo "$b"; done
}

# start_build DIR: checks for Go and makes $tmp, a scratch directory in DIR
# (removed on exit) that binaries are built into and then moved from, so
# the cache never holds half a binary.
start_build() {
  command -v go >/dev/null || die "go is not installed; install Go 1.26 or newer and retry"
  mkdir -p "$1"
  tmp="$(mktemp -d "$1/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
}

# go_mod_download WHAT: the downloads of the tools module in the current
# directory. They have been seen to stall for minutes and then succeed on a
# rerun, so they get a bounded retry before the long build.
go_mod_download() {
  local attempt
  for attempt in 1 2 3; do
    if timeout 600 go mod download; then return 0; fi
    [ "$attempt" = 3 ] && die "downloading the $1 modules failed 3 times; check the Go module proxy (go env GOPROXY) and retry"
    log "module download failed (attempt $attempt), retrying"
  done
}
