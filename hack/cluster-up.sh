#!/usr/bin/env bash
# Starts a real control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) and the process-backed node agent on 127.0.0.1, waits until
# the node is Ready, and writes .cluster/kubeconfig (admin) and
# .cluster/kubeconfig-dev (an unprivileged user for RBAC tests).
# Running it while the cluster is up is harmless: it reports and exits.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ETCD_PORT="${ESHELL_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${ESHELL_ETCD_PEER_PORT:-23800}"
API_PORT="${ESHELL_API_PORT:-16443}"
KCM_PORT="${ESHELL_KCM_PORT:-20257}"
SCHED_PORT="${ESHELL_SCHED_PORT:-20259}"
NODE_PORT="${ESHELL_NODE_PORT:-20250}"
D="$CLUSTER_DIR"
ADMIN_TOKEN_FILE="$D/admin.token"

alive() { [ -f "$D/pids/$1" ] && kill -0 "$(cat "$D/pids/$1")" 2>/dev/null; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
api() { curl -sk --max-time 5 -H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" "https://127.0.0.1:$API_PORT$1"; }

if alive kube-apiserver && alive nodeagent && [ "$(api /readyz 2>/dev/null)" = ok ]; then
  log "cluster already running (kubeconfig: $D/kubeconfig)"
  exit 0
fi
if [ -d "$D/pids" ] && ls "$D/pids"/* >/dev/null 2>&1; then
  log "a previous cluster is partly running; stopping it first"
  "$ROOT/hack/cluster-down.sh"
fi

for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" "$KCM_PORT" "$SCHED_PORT" "$NODE_PORT"; do
  if port_taken "$p"; then
    die "port 127.0.0.1:$p is taken by another program (ss -ltnp 'sport = :$p' shows which); stop it or set ESHELL_*_PORT (see hack/cluster-up.sh)"
  fi
done
for t in curl openssl; do command -v "$t" >/dev/null || die "$t is required (apt-get install -y $t)"; done

"$ROOT/hack/build-control-plane.sh"
log "building the node agent"
(cd "$ROOT" && go build -o "$ROOT/bin/nodeagent" ./test/nodeagent) || die "building the node agent failed (see above)"

rm -rf "$D"
mkdir -p "$D"/{pids,logs,etcd,certs,node}
openssl genrsa -out "$D/sa.key" 2048 2>/dev/null
openssl rsa -in "$D/sa.key" -pubout -out "$D/sa.pub" 2>/dev/null
admin_token="$(openssl rand -hex 16)"; dev_token="$(openssl rand -hex 16)"
echo "$admin_token" > "$ADMIN_TOKEN_FILE"
cat > "$D/tokens.csv" <<CSV
$admin_token,admin,admin,system:masters
$dev_token,dev,dev,developers
CSV

# start NAME BINARY ARGS...: run in its own session so it outlives make, and
# remember the PID so cluster-down stops exactly this process.
start() {
  local name="$1"; shift
  setsid "$@" >"$D/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$D/pids/$name"
}
# wait_for WHAT SECONDS CMD...: bounded wait, with the log tail on failure.
wait_for() {
  local what="$1" secs="$2" log="$3"; shift 3
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then
      echo "---- last lines of $log" >&2; tail -20 "$log" >&2 || true
      die "$what did not become ready within ${secs}s (full log: $log); stop what started with make cluster-down"
    fi
    sleep 0.2
  done
}

log "starting etcd on 127.0.0.1:$ETCD_PORT"
start etcd "$BIN_DIR/etcd" --name default --data-dir "$D/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
  --quota-backend-bytes 4294967296 --unsafe-no-fsync
wait_for etcd 30 "$D/logs/etcd.log" curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

log "starting kube-apiserver on 127.0.0.1:$API_PORT"
start kube-apiserver "$BIN_DIR/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" --cert-dir "$D/certs" \
  --endpoint-reconciler-type none --service-cluster-ip-range 10.96.0.0/24 \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$D/sa.pub" \
  --service-account-signing-key-file "$D/sa.key" --token-auth-file "$D/tokens.csv" \
  --authorization-mode RBAC --allow-privileged=true --kubelet-preferred-address-types InternalIP \
  --profiling=false
api_ready() { [ "$(api /readyz 2>/dev/null)" = ok ]; }
wait_for kube-apiserver 60 "$D/logs/kube-apiserver.log" api_ready

CA="$D/certs/apiserver.crt"
kubeconfig() { # FILE USER TOKEN
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: eshell-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $CA
users:
- name: $2
  user:
    token: $3
contexts:
- name: eshell-local-$2
  context: {cluster: eshell-local, user: $2, namespace: default}
current-context: eshell-local-$2
KC
}
kubeconfig "$D/kubeconfig" admin "$admin_token"
kubeconfig "$D/kubeconfig-dev" dev "$dev_token"

log "starting kube-controller-manager and kube-scheduler"
start kube-controller-manager "$BIN_DIR/kube-controller-manager" --kubeconfig "$D/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --service-account-private-key-file "$D/sa.key" \
  --root-ca-file "$CA" --leader-elect=false --controllers '*' --profiling=false \
  --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10
start kube-scheduler "$BIN_DIR/kube-scheduler" --kubeconfig "$D/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false

log "starting the node agent on 127.0.0.1:$NODE_PORT"
start nodeagent "$ROOT/bin/nodeagent" --kubeconfig "$D/kubeconfig" --port "$NODE_PORT" --root-dir "$D/node"

node_ready() { api /api/v1/nodes/eshell-node | tr -d ' \n' | grep -q '"type":"Ready","status":"True"' ; }
wait_for "node eshell-node" 60 "$D/logs/nodeagent.log" node_ready
# Pods are rejected until the controller manager has made the default
# ServiceAccount, and pods with projected tokens need kube-root-ca.crt.
wait_for "the default ServiceAccount" 60 "$D/logs/kube-controller-manager.log" \
  sh -c "curl -skf --max-time 2 -H 'Authorization: Bearer $admin_token' https://127.0.0.1:$API_PORT/api/v1/namespaces/default/serviceaccounts/default"
wait_for "the kube-root-ca.crt ConfigMap" 60 "$D/logs/kube-controller-manager.log" \
  sh -c "curl -skf --max-time 2 -H 'Authorization: Bearer $admin_token' https://127.0.0.1:$API_PORT/api/v1/namespaces/default/configmaps/kube-root-ca.crt"
log "cluster ready: export KUBECONFIG=$D/kubeconfig  (unprivileged user: $D/kubeconfig-dev)"
