#!/usr/bin/env bash
# Builds containerd, its runc shim and ctr from the Go module proxy
# (hack/tools/containerd pins the version) into the version-keyed cache. A
# second run finds the binaries and returns at once. runc and the CNI plugins
# come from Debian (hack/install-deps.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mapfile -t missing < <(missing_binaries "$CONTAINERD_BIN_DIR" containerd containerd-shim-runc-v2 ctr)
if [ ${#missing[@]} -eq 0 ]; then
  log "containerd $CONTAINERD_VERSION: cached in $CONTAINERD_BIN_DIR"
  exit 0
fi
start_build "$CONTAINERD_BIN_DIR"

cd "$ROOT/hack/tools/containerd"
go_mod_download containerd
mod=github.com/containerd/containerd/v2
ldflags="-s -w -X $mod/version.Version=$CONTAINERD_VERSION -X $mod/version.Revision=module-proxy"
for b in "${missing[@]}"; do
  log "building $b $CONTAINERD_VERSION (all three take ~3.5 min on 2 cores)"
  # The shim is started by containerd for every pod and must not depend on
  # the host's libc; the graph drivers we do not use need C headers.
  cgo=1; [ "$b" = containerd-shim-runc-v2 ] && cgo=0
  if ! CGO_ENABLED=$cgo go build -trimpath -tags "no_btrfs no_devmapper no_zfs" -ldflags "$ldflags" -o "$tmp/$b" "$mod/cmd/$b"; then
    die "building $b failed; the output above says why (disk space: df -h; a stuck download: rerun)"
  fi
  mv "$tmp/$b" "$CONTAINERD_BIN_DIR/$b"
done
log "containerd $CONTAINERD_VERSION built into $CONTAINERD_BIN_DIR"
