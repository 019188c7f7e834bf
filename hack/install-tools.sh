#!/usr/bin/env bash
# Builds a pinned release or lint tool once and prints the path of its binary.
#
#   hack/install-tools.sh goreleaser|krew|golangci-lint
#
# Each tool is built from source with `go install pkg@version` (the Go module
# proxy is the only download) into $CACHE_DIR/tools/<tool>-<version>/, outside
# the clone, so every clone on the machine shares one build and bumping a
# version below builds the new one next to the old. A fresh machine pays the
# build once: goreleaser takes minutes, the other two about a minute each.
set -euo pipefail

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GORELEASER_VERSION=v2.15.1
KREW_VERSION=v0.4.3
GOLANGCI_LINT_VERSION=v2.15.0

[[ $# -eq 1 ]] || die "usage: hack/install-tools.sh goreleaser|krew|golangci-lint"
case "$1" in
  goreleaser) version=$GORELEASER_VERSION pkg=github.com/goreleaser/goreleaser/v2 ;;
  krew) version=$KREW_VERSION pkg=sigs.k8s.io/krew/cmd/krew ;;
  golangci-lint) version=$GOLANGCI_LINT_VERSION pkg=github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
  *) die "unknown tool $1: hack/install-tools.sh knows goreleaser, krew and golangci-lint" ;;
esac

dir="$CACHE_DIR/tools/$1-$version"
bin="$dir/$1"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || die "go not found: install Go (see go.mod for the version) and run again"
  log "building $1 $version into $dir (once per machine)"
  # Built in a scratch directory and moved into place, so an interrupted
  # build never leaves a binary that looks installed.
  mkdir -p "$CACHE_DIR/tools"
  tmp="$(mktemp -d "$CACHE_DIR/tools/.$1.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # Outside the repository, so its go.mod and GOFLAGS do not apply;
  # GOTOOLCHAIN=local builds with the Go on the machine instead of
  # downloading the toolchain the tool's go.mod asks for.
  (cd "$tmp" && GOBIN="$tmp" GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0 nice -n 10 go install "$pkg@$version") ||
    die "go install $pkg@$version failed (output above)"
  # mv within one file system is atomic, so a second clone building the
  # same tool at the same time replaces a whole binary, never half of one.
  mkdir -p "$dir"
  mv -f "$tmp/$1" "$bin"
fi
echo "$bin"
