#!/usr/bin/env bash
# Starts a local cluster on 127.0.0.1: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, containerd (with Debian's runc and
# CNI plugins) and a real kubelet, secured as in a real cluster (x509 client
# certificates both ways, webhook authentication and authorization on the
# kubelet, the Node authorizer and NodeRestriction on the API server), and
# a NetworkPolicy enforcer (kube-router's firewall, hack/netpol.sh).
# Imports the locally built images (hack/images.sh), waits until the node is
# Ready, and writes .cluster/kubeconfig (admin), .cluster/kubeconfig-dev and
# .cluster/kubeconfig-newcomer (two users with no rights, for RBAC tests: the
# e2e suite binds dev to the shipped Roles, newcomer to nothing).
# The host state the node changes is recorded first, so that
# hack/cluster-down.sh restores it. Running it while the cluster is up is
# harmless: it reports and exits.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ETCD_PORT="${ESHELL_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${ESHELL_ETCD_PEER_PORT:-23800}"
API_PORT="${ESHELL_API_PORT:-16443}"
KCM_PORT="${ESHELL_KCM_PORT:-20257}"
SCHED_PORT="${ESHELL_SCHED_PORT:-20259}"
KUBELET_PORT="${ESHELL_KUBELET_PORT:-20350}"
KUBELET_HEALTHZ_PORT="${ESHELL_KUBELET_HEALTHZ_PORT:-20348}"
D="$CLUSTER_DIR"
ADMIN_TOKEN_FILE="$D/admin.token"

alive() { [ -f "$D/pids/$1" ] && kill -0 "$(cat "$D/pids/$1")" 2>/dev/null; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
api() { curl -sk --max-time 5 -H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" "https://127.0.0.1:$API_PORT$1" "${@:2}"; }
node_ready() { api "/api/v1/nodes/$NODE_NAME" | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'; }

if alive kube-apiserver && alive kubelet && alive containerd && [ "$(api /readyz 2>/dev/null)" = ok ] && node_ready; then
  log "cluster already running (kubeconfig: $D/kubeconfig)"
  exit 0
fi
if [ -d "$D" ]; then
  log "a previous cluster's state is in $D; stopping it first"
  "$ROOT/hack/cluster-down.sh"
fi
[ "$(id -u)" = 0 ] || die "the local node runs containers with runc and needs root; run as root (sudo make cluster-up)"
# One kubelet per machine: the kubelet and containerd use host-wide paths
# (cgroups, /var/lib/kubelet/device-plugins, /run/containerd/s).
if pgrep -x kubelet >/dev/null; then
  die "a kubelet is already running on this machine (pid $(pgrep -x kubelet | head -1)); stop that cluster first (make cluster-down in its clone)"
fi
for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" "$KCM_PORT" "$SCHED_PORT" "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT"; do
  if port_taken "$p"; then
    die "port 127.0.0.1:$p is taken by another program (ss -ltnp 'sport = :$p' shows which); stop it or set ESHELL_*_PORT (see hack/cluster-up.sh)"
  fi
done

"$ROOT/hack/install-deps.sh"
"$ROOT/hack/build-control-plane.sh"
"$ROOT/hack/build-containerd.sh"
"$ROOT/hack/build-kube-router.sh"
IMAGES="$("$ROOT/hack/images.sh")"

mkdir -p "$D"/{pids,logs,etcd,pki,host,kubelet,containerd,cni/net.d,cni/ipam,pod-logs}
chmod 700 "$D"
"$ROOT/hack/host-state.sh" save "$D/host"

# ---- credentials -------------------------------------------------------------
P="$D/pki"
openssl genrsa -out "$D/sa.key" 2048 2>/dev/null
openssl rsa -in "$D/sa.key" -pubout -out "$D/sa.pub" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=eshell-local-ca" \
  -keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
client_cert() { # NAME SUBJECT
  openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$P/$1.key" -out "$P/$1.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > "$P/$1.ext"
  openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 3 \
    -extfile "$P/$1.ext" -out "$P/$1.crt" 2>/dev/null
  rm -f "$P/$1.csr" "$P/$1.ext"
}
# The kubelet is a node like any other: system:node:<name> in system:nodes,
# so the Node authorizer limits it to its own pods.
client_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
# The API server's identity towards the kubelet; RBAC below grants it the
# kubelet API (exec, attach, logs), and nothing else.
client_cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client"
chmod 600 "$P"/*.key
admin_token="$(openssl rand -hex 16)"; dev_token="$(openssl rand -hex 16)"; newcomer_token="$(openssl rand -hex 16)"
echo "$admin_token" > "$ADMIN_TOKEN_FILE"
cat > "$D/tokens.csv" <<CSV
$admin_token,admin,admin,system:masters
$dev_token,dev,dev,developers
$newcomer_token,newcomer,newcomer,developers
CSV

# start NAME BINARY ARGS...: run in its own session so it outlives make, and
# remember the PID so cluster-down stops exactly this process.
start() {
  local name="$1"; shift
  setsid "$@" >"$D/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$D/pids/$name"
}
# wait_for WHAT SECONDS LOG CMD...: bounded wait, with the log tail on failure.
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

# ---- control plane -----------------------------------------------------------
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
  --client-ca-file "$P/ca.crt" \
  --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --allow-privileged=true --kubelet-preferred-address-types InternalIP \
  --profiling=false
api_ready() { [ "$(api /readyz 2>/dev/null)" = ok ]; }
wait_for kube-apiserver 60 "$D/logs/kube-apiserver.log" api_ready

CA="$D/certs/apiserver.crt"
kubeconfig() { # FILE USER CREDENTIALS-YAML
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
$3
contexts:
- name: eshell-local-$2
  context: {cluster: eshell-local, user: $2, namespace: default}
current-context: eshell-local-$2
KC
}
kubeconfig "$D/kubeconfig" admin "    token: $admin_token"
kubeconfig "$D/kubeconfig-dev" dev "    token: $dev_token"
kubeconfig "$D/kubeconfig-newcomer" newcomer "    token: $newcomer_token"
kubeconfig "$D/kubelet.kubeconfig" "system:node:$NODE_NAME" \
  "    client-certificate: $P/kubelet.crt
    client-key: $P/kubelet.key"

# The API server calls the kubelet as kube-apiserver-kubelet-client; the
# kubelet asks the API server (SubjectAccessReview) whether that user may.
api /apis/rbac.authorization.k8s.io/v1/clusterrolebindings -X POST -H 'Content-Type: application/json' -o /dev/null -d '{
  "metadata": {"name": "eshell-local:apiserver-kubelet-client"},
  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:kubelet-api-admin"},
  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "kube-apiserver-kubelet-client"}]}'

log "starting kube-controller-manager and kube-scheduler"
start kube-controller-manager "$BIN_DIR/kube-controller-manager" --kubeconfig "$D/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --service-account-private-key-file "$D/sa.key" \
  --root-ca-file "$CA" --leader-elect=false --controllers '*' --profiling=false \
  --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10
start kube-scheduler "$BIN_DIR/kube-scheduler" --kubeconfig "$D/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false

# ---- node ----------------------------------------------------------------------
C="$D/containerd"
cat > "$D/cni/net.d/10-eshell.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "eshell",
  "plugins": [{
    "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "dataDir": "$D/cni/ipam"}
  }]
}
JSON
# Every registry resolves to a closed port on loopback: nothing is ever
# pulled from outside (no registry is reachable here, and an image that is
# not imported must fail to pull at once, as a missing image does).
mkdir -p "$C/certs.d/_default"
printf 'server = "http://127.0.0.1:9"\n[host."http://127.0.0.1:9"]\n  capabilities = ["pull", "resolve"]\n' > "$C/certs.d/_default/hosts.toml"
sed -e "s|@C@|$C|g" -e "s|@D@|$D|g" "$ROOT/hack/containerd.toml" > "$C/config.toml"
log "starting containerd $CONTAINERD_VERSION"
start containerd "$CONTAINERD_BIN_DIR/containerd" --config "$C/config.toml"
ctr() { "$CONTAINERD_BIN_DIR/ctr" --address "$C/containerd.sock" -n k8s.io "$@"; }
wait_for containerd 30 "$D/logs/containerd.log" ctr version
for tar in "$IMAGES"/*.tar; do
  ctr images import --all-platforms "$tar" >/dev/null 2>"$D/logs/ctr-import.log" || die "importing $tar into containerd failed (logs: $D/logs/ctr-import.log, $D/logs/containerd.log)"
done

printf 'nameserver 127.0.0.1\n' > "$D/resolv.conf"
cat > "$D/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$C/containerd.sock
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
podLogsDir: $D/pod-logs
resolvConf: $D/resolv.conf
serializeImagePulls: false
# Imported images are never garbage-collected, and a busy CI disk does not
# evict the tests' pods.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
YAML
log "starting the kubelet on 127.0.0.1:$KUBELET_PORT"
start kubelet "$BIN_DIR/kubelet" --config "$D/kubelet/config.yaml" --kubeconfig "$D/kubelet.kubeconfig" \
  --hostname-override "$NODE_NAME" --root-dir "$D/kubelet/root" --cert-dir "$D/kubelet/pki" --v 1
wait_for "node $NODE_NAME" 60 "$D/logs/kubelet.log" node_ready
# Pods are rejected until the controller manager has made the default
# ServiceAccount, and pods with projected tokens need kube-root-ca.crt.
wait_for "the default ServiceAccount" 60 "$D/logs/kube-controller-manager.log" \
  api /api/v1/namespaces/default/serviceaccounts/default -f
wait_for "the kube-root-ca.crt ConfigMap" 60 "$D/logs/kube-controller-manager.log" \
  api /api/v1/namespaces/default/configmaps/kube-root-ca.crt -f
# NetworkPolicies are enforced (hack/netpol.sh), as in a real cluster.
"$ROOT/hack/netpol.sh" up
log "cluster ready: export KUBECONFIG=$D/kubeconfig  (unprivileged user: $D/kubeconfig-dev)"
