# Shared settings for the hack/ scripts. Sourced, never run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_VERSION="v1.37.2"
# Built control-plane binaries are cached per version. The default lives in
# the work tree (gitignored); ESHELL_CACHE_DIR lets CI and several clones on
# one machine share one build, which is the 12-minute part of a cold start.
CACHE_DIR="${ESHELL_CACHE_DIR:-$ROOT/.cache}"
BIN_DIR="$CACHE_DIR/k8s-$K8S_VERSION/bin"
CLUSTER_DIR="${ESHELL_CLUSTER_DIR:-$ROOT/.cluster}"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
