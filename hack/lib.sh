# Shared settings for the hack/ scripts. Sourced, never run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_VERSION="v1.37.2"
# Built binaries (control plane, kubelet, containerd) and images are cached
# per version outside the clone, so every clone on a machine (a developer's,
# CI's fresh one) shares the build that is the long part of a cold start.
CACHE_DIR="${ESHELL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-eshell}"
BIN_DIR="$CACHE_DIR/k8s-$K8S_VERSION/bin"
CLUSTER_DIR="${ESHELL_CLUSTER_DIR:-$ROOT/.cluster}"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
