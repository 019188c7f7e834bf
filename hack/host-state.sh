#!/usr/bin/env bash
# host-state.sh save DIR | restore DIR | check DIR
# The kubelet, containerd and the CNI bridge change the host outside the
# cluster directory. `save` records what was there before the node started;
# `restore` removes what the node added and writes the recorded values back,
# so that `make cluster-down` leaves the machine as it was:
#   sysctls the kubelet, the bridge and the NetworkPolicy enforcer set,
#   iptables chains the kubelet and the enforcer add, the enforcer's ipsets,
#   the pod bridge, CNI network namespaces, /kubepods cgroups, and the host
#   paths the node creates (/var/lib/kubelet, /var/lib/cni, /run/containerd,
#   /var/log/containers, /var/log/pods).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

# Process names as the kernel keeps them (at most 15 characters).
PROCS=(kubelet containerd containerd-shim kube-apiserver etcd kube-router)
SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward)
# The bridge's netfilter switches exist only once br_netfilter is loaded.
for s in net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables; do
  [ -e "/proc/sys/${s//.//}" ] && SYSCTLS+=("$s")
done
PATHS=(/var/lib/kubelet /var/lib/cni /run/containerd /var/log/containers /var/log/pods /run/netns)
TABLES=(filter nat mangle)

chains() { # IPTABLES TABLE: user chains
  "$1" -w 5 -t "$2" -S 2>/dev/null | awk '$1 == "-N" {print $2}'
}
ipsets() { command -v ipset >/dev/null && ipset list -n 2>/dev/null | sort; }
cgroup_roots() { for h in /sys/fs/cgroup/*/; do echo "${h}kubepods"; done; }

save() {
  local d="$1"; mkdir -p "$d"
  for s in "${SYSCTLS[@]}"; do printf '%s=%s\n' "$s" "$(sysctl -n "$s")"; done > "$d/sysctl"
  for p in "${PATHS[@]}"; do [ -e "$p" ] && echo "$p"; done > "$d/paths"
  ls /run/netns 2>/dev/null > "$d/netns"
  for ipt in iptables ip6tables; do
    for t in "${TABLES[@]}"; do chains "$ipt" "$t" | sed "s/^/$ipt $t /"; done
  done > "$d/chains"
  ipsets > "$d/ipsets"
  ip link show "$BRIDGE" >/dev/null 2>&1 && echo yes > "$d/bridge"
  for c in $(cgroup_roots); do [ -d "$c" ] && echo "$c"; done > "$d/cgroups"
  for p in "${PROCS[@]}"; do pgrep -x "$p" >/dev/null && echo "$p"; done > "$d/procs"
  return 0
}

restore() {
  local d="$1" status=0
  [ -f "$d/sysctl" ] || { log "no saved host state in $d; nothing to restore"; return 0; }
  # Network namespaces the CNI plugin made and nothing tore down (a pod
  # whose sandbox was killed with containerd).
  local ns
  for ns in $(ls /run/netns 2>/dev/null); do
    case "$ns" in cni-*) grep -qx "$ns" "$d/netns" || ip netns del "$ns" 2>/dev/null || status=1 ;; esac
  done
  if [ ! -s "$d/bridge" ] && ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link del "$BRIDGE" || status=1
  fi
  local ipt t c
  for ipt in iptables ip6tables; do
    for t in "${TABLES[@]}"; do
      for c in $(chains "$ipt" "$t"); do
        grep -qx "$ipt $t $c" "$d/chains" && continue
        # Drop the jumps into the chain, then the chain itself.
        "$ipt" -w 5 -t "$t" -S | grep -- "-j $c\$" | sed 's/^-A /-D /' | while read -r rule; do
          # shellcheck disable=SC2086
          "$ipt" -w 5 -t "$t" $rule || status=1
        done
      done
      for c in $(chains "$ipt" "$t"); do
        grep -qx "$ipt $t $c" "$d/chains" && continue
        "$ipt" -w 5 -t "$t" -F "$c" && "$ipt" -w 5 -t "$t" -X "$c" || status=1
      done
    done
  done
  # ipsets after the chains: a set a rule still references cannot go.
  local set
  if [ -f "$d/ipsets" ]; then
    for set in $(ipsets); do grep -qx -- "$set" "$d/ipsets" || ipset destroy "$set" || status=1; done
  fi
  for c in $(cgroup_roots); do
    [ -d "$c" ] || continue
    grep -qx "$c" "$d/cgroups" && continue
    # Deepest first; a cgroup with a live process in it cannot be removed,
    # which is reported rather than forced.
    find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$c" ] && { log "cgroup $c still has processes; left in place"; status=1; }
  done
  local line
  while IFS= read -r line; do
    [ "$(sysctl -n "${line%%=*}")" = "${line#*=}" ] || sysctl -qw "$line" || status=1
  done < "$d/sysctl"
  local p
  for p in "${PATHS[@]}"; do
    [ -e "$p" ] || continue
    if grep -qx "$p" "$d/paths"; then
      # A shared path that existed before: take back only our entries.
      [ "$p" = /var/log/containers ] && find "$p" -maxdepth 1 -type l -lname "$CLUSTER_DIR/*" -delete
      continue
    fi
    umount_under "$p"
    rm -rf "$p" || status=1
  done
  return $status
}

# check DIR: compare the host with what save recorded in DIR; print every
# difference the node would have left and exit 1 if there is one.
check() {
  local d="$1" left=()
  local line p ns ipt t c set
  while IFS= read -r line; do
    [ "$(sysctl -n "${line%%=*}")" = "${line#*=}" ] || left+=("sysctl ${line%%=*} is $(sysctl -n "${line%%=*}"), was ${line#*=}")
  done < "$d/sysctl"
  for p in "${PATHS[@]}"; do
    [ -e "$p" ] && ! grep -qx "$p" "$d/paths" && left+=("path $p")
  done
  for ns in $(ls /run/netns 2>/dev/null); do grep -qx "$ns" "$d/netns" || left+=("network namespace $ns"); done
  for ipt in iptables ip6tables; do
    for t in "${TABLES[@]}"; do
      for c in $(chains "$ipt" "$t"); do grep -qx "$ipt $t $c" "$d/chains" || left+=("$ipt chain $t/$c"); done
    done
  done
  if [ -f "$d/ipsets" ]; then
    for set in $(ipsets); do grep -qx -- "$set" "$d/ipsets" || left+=("ipset $set"); done
  fi
  [ ! -s "$d/bridge" ] && ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("link $BRIDGE")
  for c in $(cgroup_roots); do [ -d "$c" ] && ! grep -qx "$c" "$d/cgroups" && left+=("cgroup $c"); done
  for p in "${PROCS[@]}"; do
    grep -qx "$p" "$d/procs" && continue
    pgrep -x "$p" >/dev/null && left+=("process $p (pid $(pgrep -x "$p" | head -1))")
  done
  [ ${#left[@]} -eq 0 ] && return 0
  printf 'left on the host by the node:\n'; printf '  %s\n' "${left[@]}"
  return 1
}

umount_under() { # DIR: every mount at or below DIR, deepest first
  local m
  for m in $(awk -v p="$1" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
}

case "${1:-}" in
  save) save "$2" ;;
  restore) restore "$2" ;;
  check) check "$2" ;;
  umount-under) umount_under "$2" ;;
  *) die "usage: host-state.sh save DIR | restore DIR | check DIR | umount-under DIR" ;;
esac
