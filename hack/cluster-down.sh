#!/usr/bin/env bash
# Stops exactly the processes cluster-up started (by PID), node and
# controllers first and etcd last (stopping etcd together with the API server
# can leave the API server hanging), then removes the cluster's state.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
D="$CLUSTER_DIR"

stop() {
  local f="$D/pids/$1"
  [ -f "$f" ] || return 0
  local pid; pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 (pid $pid) did not stop within 10s; killing it"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$f"
}
for c in nodeagent kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$c"; done
rm -rf "$D"
log "cluster stopped"
