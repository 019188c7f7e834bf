#!/usr/bin/env bash
# netpol.sh up | down | status
# The local cluster's NetworkPolicy enforcer: kube-router with only its
# firewall controller (iptables + ipset; no routing, no service proxy, no
# CNI of its own), under an identity of its own that may only read what it
# enforces. It filters the pods' traffic on the bridge, so the bridge's
# frames must pass iptables (net.bridge.bridge-nf-call-iptables).
#
# `up` needs a running cluster (cluster-up calls it once the node is Ready)
# and is harmless when the enforcer already runs. `down` stops it and
# removes every iptables chain and ipset it made and writes back the sysctls
# `up` changed; the rest of the cluster is left running. Both may be run on
# a running cluster; the e2e suite's users run them under
# `flock -x` on the suite's lock, as they change host-wide iptables.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

API_PORT="${ESHELL_API_PORT:-16443}"
D="$CLUSTER_DIR"
N="$D/netpol" # the enforcer's own state: identity, saved host state
PIDFILE="$D/pids/kube-router"
LOGFILE="$D/logs/kube-router.log"
# Its chains and ipsets, by the prefixes kube-router's firewall names them with.
CHAIN_RE='^(KUBE-ROUTER-(INPUT|FORWARD|OUTPUT)|KUBE-NWPLCY-|KUBE-POD-FW-)'
SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables)

alive() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
api() { curl -sk --max-time 5 -H "Authorization: Bearer $(cat "$D/admin.token")" "https://127.0.0.1:$API_PORT$1" "${@:2}"; }
ipsets() { ipset list -n 2>/dev/null | sort; }
post() { # PATH JSON: create, an existing object is fine
  local code
  code="$(api "$1" -X POST -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}' -d "$2")"
  case "$code" in 201|409) ;; *) die "creating $1 for the NetworkPolicy enforcer failed (HTTP $code)" ;; esac
}

up() {
  if alive; then log "NetworkPolicy enforcer already running (pid $(cat "$PIDFILE"))"; return 0; fi
  [ "$(id -u)" = 0 ] || die "the NetworkPolicy enforcer changes iptables and needs root; run as root"
  [ -f "$D/admin.token" ] && [ "$(api /readyz 2>/dev/null)" = ok ] || die "no running cluster in $D; start it first"
  command -v ipset >/dev/null || die "ipset is not installed; install it (apt-get install -y ipset)"
  "$ROOT/hack/build-kube-router.sh"

  mkdir -p "$N" "$D/pids" "$D/logs"
  # The host state this changes, recorded once (a second `up` after a
  # crash must not record its own leftovers as the original).
  if [ ! -f "$N/sysctl" ]; then
    [ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null || true
    [ -d /proc/sys/net/bridge ] || die "the kernel's br_netfilter is not available: pod traffic on the bridge cannot be filtered"
    for s in "${SYSCTLS[@]}"; do printf '%s=%s\n' "$s" "$(sysctl -n "$s")"; done > "$N/sysctl"
    ipsets > "$N/ipsets"
  fi
  for s in "${SYSCTLS[@]}"; do sysctl -qw "$s=1"; done

  # An identity of its own: a client certificate from the cluster's CA,
  # allowed to read what it enforces and nothing else.
  local P="$D/pki"
  if [ ! -f "$N/kube-router.crt" ]; then
    openssl req -newkey rsa:2048 -nodes -subj "/CN=eshell-local:kube-router" -keyout "$N/kube-router.key" -out "$N/kube-router.csr" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > "$N/kube-router.ext"
    openssl x509 -req -in "$N/kube-router.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 3 \
      -extfile "$N/kube-router.ext" -out "$N/kube-router.crt" 2>/dev/null
    rm -f "$N/kube-router.csr" "$N/kube-router.ext"
    chmod 600 "$N/kube-router.key"
  fi
  cat > "$N/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: eshell-local
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$D/certs/apiserver.crt"}
users:
- name: kube-router
  user: {client-certificate: "$N/kube-router.crt", client-key: "$N/kube-router.key"}
contexts:
- name: kube-router
  context: {cluster: eshell-local, user: kube-router}
current-context: kube-router
KC
  post /apis/rbac.authorization.k8s.io/v1/clusterroles '{
    "metadata": {"name": "eshell-local:kube-router"},
    "rules": [
      {"apiGroups": [""], "resources": ["pods", "namespaces", "nodes", "services", "endpoints"], "verbs": ["get", "list", "watch"]},
      {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
      {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["get", "list", "watch"]}]}'
  post /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{
    "metadata": {"name": "eshell-local:kube-router"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "eshell-local:kube-router"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "eshell-local:kube-router"}]}'

  log "starting the NetworkPolicy enforcer (kube-router $KUBE_ROUTER_VERSION, firewall only)"
  # Nothing listens: health and metrics are off (kube-router's health
  # server binds every address, with no flag to narrow it).
  # It closes every descriptor it would inherit first: one may hold a lock
  # (`flock -x LOCK hack/netpol.sh up`) that a daemon would keep forever.
  (
    for fd in /proc/self/fd/*; do
      n="${fd##*/}"
      if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-"; fi
    done
    exec setsid "$KUBE_ROUTER_BIN_DIR/kube-router" --kubeconfig "$N/kubeconfig" --hostname-override "$NODE_NAME" \
      --run-firewall=true --run-router=false --run-service-proxy=false --run-loadbalancer=false \
      --enable-cni=false --enable-ipv4=true --enable-ipv6=false --health-port 0 --metrics-port 0 \
      --service-cluster-ip-range 10.96.0.0/24 --iptables-sync-period 5m --v 1 \
      >"$LOGFILE" 2>&1 </dev/null
  ) &
  echo $! > "$PIDFILE"
  # Ready when its first full sync has put the jump to its FORWARD chain
  # in place and it still runs.
  local end=$((SECONDS + 60))
  until iptables -w 5 -S FORWARD 2>/dev/null | grep -q -- '-j KUBE-ROUTER-FORWARD' && grep -q 'sync iptables took' "$LOGFILE" 2>/dev/null; do
    if ! alive || [ $SECONDS -ge $end ]; then
      echo "---- last lines of $LOGFILE" >&2; tail -20 "$LOGFILE" >&2 || true
      down || true
      die "the NetworkPolicy enforcer did not start within 60s (log: $LOGFILE)"
    fi
    sleep 0.2
  done
  log "NetworkPolicy enforcer running (pid $(cat "$PIDFILE"))"
}

down() {
  local status=0 pid
  if [ -f "$PIDFILE" ]; then
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && { log "kube-router (pid $pid) did not stop within 10s; killing it"; kill -KILL "$pid"; sleep 0.5; }
    fi
    rm -f "$PIDFILE"
  fi
  # Its rules: the jumps from the built-in chains first, then its chains
  # (flushed together before any is deleted, as they jump to each other),
  # then its ipsets, which no rule references any more.
  local c rule
  for c in INPUT FORWARD OUTPUT; do
    while read -r rule; do
      # The rule as iptables -S prints it, its comment quoted: eval keeps the quotes.
      eval "iptables -w 5 $rule" || status=1
    done < <(iptables -w 5 -S "$c" 2>/dev/null | grep -E -- "-j KUBE-ROUTER-(INPUT|FORWARD|OUTPUT)( |\$)" | sed 's/^-A /-D /')
  done
  local mine
  mine="$(iptables -w 5 -S 2>/dev/null | awk '$1 == "-N" {print $2}' | grep -E "$CHAIN_RE" || true)"
  for c in $mine; do iptables -w 5 -F "$c" || status=1; done
  for c in $mine; do iptables -w 5 -X "$c" || status=1; done
  local set
  for set in $(ipsets); do
    [ -f "$N/ipsets" ] && grep -qx -- "$set" "$N/ipsets" && continue
    case "$set" in KUBE-*|inet6:KUBE-*|kube-router-*) ipset destroy "$set" || status=1 ;; esac
  done
  if [ -f "$N/sysctl" ]; then
    local line
    while IFS= read -r line; do
      [ "$(sysctl -n "${line%%=*}")" = "${line#*=}" ] || sysctl -qw "$line" || status=1
    done < "$N/sysctl"
    rm -f "$N/sysctl" "$N/ipsets"
  fi
  if [ -f "$D/admin.token" ] && [ "$(api /readyz 2>/dev/null)" = ok ]; then
    api /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/eshell-local:kube-router -X DELETE -o /dev/null || true
    api /apis/rbac.authorization.k8s.io/v1/clusterroles/eshell-local:kube-router -X DELETE -o /dev/null || true
  fi
  if [ $status = 0 ]; then log "NetworkPolicy enforcer stopped; its chains, ipsets and sysctls are gone"; else log "NetworkPolicy enforcer stopped; some of its host state could not be removed (see above)"; fi
  return $status
}

status() {
  if alive; then echo "running (pid $(cat "$PIDFILE"))"; else echo "stopped"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: netpol.sh up | down | status" ;;
esac
