#!/usr/bin/env bash
# Installs the Debian packages the local cluster and the tests need, where
# missing: runc, the CNI plugins, iptables and ipset (the NetworkPolicy
# enforcer's address sets) for the node, busybox-static,
# bash-static and zsh-static for the images, and the tools the scripts call. Quiet and
# quick when everything is there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

pkgs=(runc containernetworking-plugins iptables ipset busybox-static bash-static zsh-static
      curl openssl util-linux mount hostname procps iproute2 tmux make git)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]}; install them as root (apt-get install -y ${missing[*]})"
log "installing Debian packages: ${missing[*]}"
for attempt in 1 2 3; do
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
  log "apt-get failed (attempt $attempt), retrying"
  sleep 5
done
die "installing ${missing[*]} failed 3 times; run apt-get install -y ${missing[*]} by hand to see why"
