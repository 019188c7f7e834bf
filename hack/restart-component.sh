#!/usr/bin/env bash
# restart-component.sh NAME [DOWN_SECONDS]: restarts one component of the
# running local cluster (kube-apiserver, kubelet or containerd) with exactly
# the command line, environment and working directory it runs with now:
# stop it (TERM, then KILL after 20s), stay down DOWN_SECONDS (default 0),
# start it again in its own session appending to its log, record the new
# PID where cluster-down.sh finds it, and wait (bounded) until it is ready
# again: the API server's /readyz says ok, the node is Ready.
# The fault tests (test/e2e/faults_test.go) use it under flock -x.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
name="${1:?usage: restart-component.sh kube-apiserver|kubelet|containerd [DOWN_SECONDS]}"
down="${2:-0}"
D="$CLUSTER_DIR"
API_PORT="${ESHELL_API_PORT:-16443}"
case "$name" in kube-apiserver|kubelet|containerd) ;; *) die "unknown component $name: restart kube-apiserver, kubelet or containerd";; esac
pidfile="$D/pids/$name"
[ -f "$pidfile" ] || die "no $name recorded in $D/pids"
pid="$(cat "$pidfile")"
kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) is not running"

# What it runs with, read before it stops: NUL-separated argv and env.
mapfile -d '' argv < "/proc/$pid/cmdline"
mapfile -d '' envv < "/proc/$pid/environ"
cwd="$(readlink "/proc/$pid/cwd")"

kill -TERM "$pid"
for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  log "$name (pid $pid) did not stop within 20s; killing it"
  kill -KILL "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
log "$name (pid $pid) stopped"
sleep "$down"

cd "$cwd"
# start_it runs the component again, detached, and records its PID.
# The component outlives this script: it must not inherit the caller's
# other descriptors, above all the e2e lock a test run holds (flock passes
# its descriptor to its command), which a restarted daemon would then hold
# for good and block every later run.
start_it() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec setsid env -i "${envv[@]}" "${argv[@]}" >>"$D/logs/$name.log" 2>&1 < /dev/null
  ) &
  new=$!
  echo "$new" > "$pidfile"
}
start_it
log "$name started again (pid $new)"

api() { curl -sk --max-time 5 -H "Authorization: Bearer $(cat "$D/admin.token")" "https://127.0.0.1:$API_PORT$1"; }
# The node's Ready condition lags a kubelet or containerd restart by tens
# of seconds, so each component is also asked directly.
component_ready() {
  case "$name" in
    kubelet) curl -sf --max-time 2 "http://127.0.0.1:${ESHELL_KUBELET_HEALTHZ_PORT:-20348}/healthz" >/dev/null ;;
    containerd) timeout 5 "$CONTAINERD_BIN_DIR/ctr" --address "$D/containerd/containerd.sock" version >/dev/null 2>&1 ;;
    *) true ;;
  esac
}
ready() {
  component_ready && [ "$(api /readyz 2>/dev/null)" = ok ] &&
    api "/api/v1/nodes/$NODE_NAME" | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'
}
# A component that exits while starting is started again, as its
# supervisor (systemd, the kubelet for a static pod) would do in
# production: on a loaded 2-core machine the API server has given up
# after 20 s on "etcd grpc connection not ready" (CI, 2026-12-03), which
# is not the fault under test. Three starts at most, all within the 90 s.
starts=1
end=$((SECONDS + 90))
until ready; do
  if ! kill -0 "$new" 2>/dev/null; then
    tail -20 "$D/logs/$name.log" >&2
    [ "$starts" -ge 3 ] && die "$name (pid $new) exited after its restart, $starts times"
    starts=$((starts + 1))
    sleep 1
    start_it
    log "$name exited while starting; started it again (pid $new, start $starts of 3)"
  fi
  [ $SECONDS -ge $end ] && { tail -20 "$D/logs/$name.log" >&2; die "the cluster was not ready within 90s of restarting $name"; }
  sleep 0.2
done
log "cluster ready again after restarting $name"
