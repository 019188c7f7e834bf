#!/usr/bin/env bash
# Side-by-side benchmarks of kubectl-eshell against kubectl on the local
# cluster (make bench: builds bin/kubectl-eshell, bin/kubectl and starts the
# cluster first). Writes the raw data to bench/out/ (samples.csv: every
# run; requests.csv: request counts; meta.json; requests/: -v=6 logs with
# timelines) and bench/out/README.md rendered from it. A full run (not
# BENCH_QUICK) also copies the data to bench/results/ and regenerates
# bench/README.md from it (go run ./test/bench/report), for committing.
#
# It creates and deletes nothing but its own namespaces (labelled
# eshell-bench=<run>, deleted at the end with a bounded wait); the cluster
# stays up. The NetworkPolicy enforcer is stopped from the picker fixture
# to the end of the run, then started again (run no e2e test beside it).
#
# Settings (environment):
#   BENCH_QUICK=1          fewer iterations, 100 namespaces / 500 workloads / 2,000 pods
#   BENCH_ITER=N           pairs per session comparison (exec, clone, debug)
#   BENCH_STARTUP_ITER=N   pairs for the start-up time (default 20, quick 10)
#   BENCH_NAMESPACES=N     picker namespaces (default 1000, quick 100; 0 skips the picker)
#   BENCH_WORKLOADS=N      picker workloads  (default 5000, quick 500), 4 pods each
#   BENCH_STREAM_MIB=N     bytes per throughput run (default 100 MiB)
#   BENCH_CLEANUP_WAIT=S   seconds to wait for the namespaces to be gone (default 180)
#   BENCH_CONCURRENCY=1,10,50  sessions started at once, per mode (clone, exec)
#   BENCH_ONLY=a,b         only these parts: startup,size,limits,exec,stream,clone,debug,fanout,requests,concurrency,picker
#                          (a partial run never replaces bench/results/)
#   BENCH_TIMEOUT=DUR      bound on the whole run (default 30m; timeout(1) syntax)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export KUBECONFIG="$CLUSTER_DIR/kubeconfig"
[ -f "$KUBECONFIG" ] || die "no local cluster ($KUBECONFIG is missing): run make cluster-up first (make bench does)"
for b in bin/kubectl-eshell bin/kubectl; do
  [ -x "$b" ] || die "$b is missing: run make build tools (make bench does)"
done
command -v timeout >/dev/null || die "timeout (coreutils) is required"

OUT="$ROOT/bench/out"
mkdir -p "$OUT"
work="$(mktemp -d "${TMPDIR:-/tmp}/eshell-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Copies of the binaries: other work on the machine (make build, the e2e
# suite) may rebuild bin/ while the benchmark runs.
cp bin/kubectl-eshell bin/kubectl "$work/"
log "building the benchmark driver (test/bench)"
go build -o "$work/bench" ./test/bench

commit="$(git describe --always --dirty 2>/dev/null || echo unknown)"
# The NetworkPolicy enforcer follows every pod event: the driver stops it
# while it makes the picker fixture (20,000 pods) and starts it again at
# the end, when it runs (a cluster without one is left alone).
enforcer=()
if "$ROOT/hack/netpol.sh" status >/dev/null 2>&1; then
  enforcer=(--enforcer-stop "'$ROOT/hack/netpol.sh' down" --enforcer-start "'$ROOT/hack/netpol.sh' up")
fi
log "running (BENCH_QUICK=${BENCH_QUICK:-0}); results go to $OUT"
rc=0
timeout --signal=INT --kill-after=60s "${BENCH_TIMEOUT:-30m}" "$work/bench" \
  --eshell "$work/kubectl-eshell" --kubectl "$work/kubectl" \
  --kubeconfig "$KUBECONFIG" --out "$OUT" \
  --go-version "$(go version)" --commit "$commit" "${enforcer[@]}" || rc=$?
if [ "$rc" -ne 0 ]; then
  log "the benchmark ended with exit code $rc (partial results, if any, are in $OUT)"
  exit "$rc"
fi
if [ "${BENCH_QUICK:-0}" != 1 ] && [ -z "${BENCH_ONLY:-}" ]; then
  mkdir -p bench/results
  cp "$OUT/samples.csv" "$OUT/requests.csv" "$OUT/meta.json" bench/results/
  go run ./test/bench/report -in bench/results -out bench/README.md
  log "done: bench/results/ and bench/README.md regenerated from this run (commit both)"
else
  log "done: $OUT/README.md (a quick or partial run leaves bench/results/ and bench/README.md alone)"
fi
