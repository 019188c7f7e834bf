#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubelet from
# the Go module proxy (hack/tools pins the versions) into the version-keyed
# cache. A second run finds the binaries and returns at once.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mapfile -t missing < <(missing_binaries "$BIN_DIR" etcd kube-apiserver kube-controller-manager kube-scheduler kubelet)
if [ ${#missing[@]} -eq 0 ]; then
  log "control plane $K8S_VERSION: cached in $BIN_DIR"
  exit 0
fi

start_build "$BIN_DIR"

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"

cd "$ROOT/hack/tools"
go_mod_download control-plane

declare -A pkgs=(
  [etcd]=go.etcd.io/etcd/server/v3
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kubelet]=k8s.io/kubernetes/cmd/kubelet
)
for b in "${missing[@]}"; do
  log "building $b $K8S_VERSION (a cold build of the whole control plane takes ~12-15 min on 2 cores)"
  if ! go build -trimpath -ldflags "$ldflags" -o "$tmp/$b" "${pkgs[$b]}"; then
    die "building $b failed; the output above says why (disk space: df -h; a stuck download: rerun)"
  fi
  mv "$tmp/$b" "$BIN_DIR/$b"
done
log "control plane $K8S_VERSION built into $BIN_DIR"
