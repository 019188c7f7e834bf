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
CLUSTER_DIR="${ESHELL_CLUSTER_DIR:-$ROOT/.cluster}"
# The node: named by its address (the kubelet refuses a loopback --node-ip,
# but an IP-shaped hostname becomes the Node's InternalIP), with pods on a
# bridge of their own that cluster-down removes.
NODE_NAME="127.0.0.1"
BRIDGE="eshell0"
POD_CIDR="10.88.0.0/16"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
