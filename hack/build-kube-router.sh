#!/usr/bin/env bash
# Builds kube-router, the local cluster's NetworkPolicy enforcer (only its
# firewall controller runs, see hack/netpol.sh), from the Go module proxy
# (hack/tools/kube-router pins the version) into the version-keyed cache. A
# second run finds the binary and returns at once.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mapfile -t missing < <(missing_binaries "$KUBE_ROUTER_BIN_DIR" kube-router)
if [ ${#missing[@]} -eq 0 ]; then
  log "kube-router $KUBE_ROUTER_VERSION: cached in $KUBE_ROUTER_BIN_DIR"
  exit 0
fi
start_build "$KUBE_ROUTER_BIN_DIR"

cd "$ROOT/hack/tools/kube-router"
go_mod_download kube-router
mod=github.com/cloudnativelabs/kube-router/v2
ldflags="-s -w -X $mod/pkg/version.Version=$KUBE_ROUTER_VERSION -X $mod/pkg/version.BuildDate=1970-01-01T00:00:00Z"
log "building kube-router $KUBE_ROUTER_VERSION (from an empty build cache: about 5 CPU-minutes, 24 min on 2 busy shared cores)"
# Pure Go: no C toolchain is needed, and the binary does not depend on the host's libc.
if ! CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/kube-router" "$mod/cmd/kube-router"; then
  die "building kube-router failed; the output above says why (disk space: df -h; a stuck download: rerun)"
fi
mv "$tmp/kube-router" "$KUBE_ROUTER_BIN_DIR/kube-router"
log "kube-router $KUBE_ROUTER_VERSION built into $KUBE_ROUTER_BIN_DIR"
