#!/usr/bin/env bash
# Stops exactly what cluster-up started (by PID) and leaves the machine as it
# was: pods are deleted first so the kubelet tears their sandboxes down (CNI
# DEL, cgroups), then the node, the controllers, the API server, and etcd
# last (stopping etcd together with the API server can leave the API server
# hanging). Then whatever is left on the host is removed and the recorded
# host state is written back (hack/host-state.sh).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
D="$CLUSTER_DIR"
C="$D/containerd"
[ -d "$D" ] || { log "no cluster in $D"; exit 0; }

alive() { [ -f "$D/pids/$1" ] && kill -0 "$(cat "$D/pids/$1")" 2>/dev/null; }
stop() {
  local f="$D/pids/$1"
  [ -f "$f" ] || return 0
  local pid; pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 (pid $pid) did not stop within 20s; killing it"
      kill -KILL "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -f "$f"
}
ctr() { timeout 10 "$CONTAINERD_BIN_DIR/ctr" --address "$C/containerd.sock" -n k8s.io "$@"; }
tasks() { ctr tasks ls -q 2>/dev/null; }

# The NetworkPolicy enforcer first: its rules and ipsets go while nothing
# else changes iptables.
"$ROOT/hack/netpol.sh" down || log "the NetworkPolicy enforcer's host state was not all removed; host-state.sh restore below tries again"
if alive kubelet && alive kube-apiserver && [ -f "$D/admin.token" ]; then
  # Every pod goes at once, with no grace period: the kubelet stops the
  # containers and their sandboxes, which releases the network and cgroups.
  api="https://127.0.0.1:${ESHELL_API_PORT:-16443}"
  auth="Authorization: Bearer $(cat "$D/admin.token")"
  # (the API server pretty-prints for curl; squeezed, each namespace's
  # metadata starts with its name)
  for ns in $(curl -sk --max-time 5 -H "$auth" "$api/api/v1/namespaces" | tr -d ' \n' | grep -o '"metadata":{"name":"[^"]*"' | cut -d'"' -f6); do
    curl -sk --max-time 10 -o /dev/null -X DELETE -H "$auth" "$api/api/v1/namespaces/$ns/pods?gracePeriodSeconds=0"
  done
  for _ in $(seq 1 150); do [ -z "$(tasks)" ] && break; sleep 0.2; done
  [ -n "$(tasks)" ] && log "the kubelet did not stop every pod within 30s; killing what is left"
fi
stop kubelet
if alive containerd; then
  for t in $(tasks); do ctr tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  for _ in $(seq 1 50); do [ -z "$(tasks)" ] && break; sleep 0.2; done
fi
for c in kube-scheduler kube-controller-manager kube-apiserver containerd etcd; do stop "$c"; done
# Shims outlive containerd by design; ours are the ones that talk to our socket.
pkill -KILL -f "containerd-shim-runc-v2 .*-address $C/containerd.sock" 2>/dev/null
for _ in $(seq 1 50); do pgrep -f "containerd-shim-runc-v2 .*-address $C/containerd.sock" >/dev/null || break; sleep 0.1; done
"$ROOT/hack/host-state.sh" umount-under "$D"
status=0
"$ROOT/hack/host-state.sh" restore "$D/host" || status=1
rm -rf "$D" || status=1
if [ $status = 0 ]; then log "cluster stopped; host state restored"; else log "cluster stopped; some host state could not be restored (see above)"; fi
exit $status
