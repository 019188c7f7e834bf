#!/usr/bin/env bash
# Opens kubectl eshell in the demo environment: a shell in a disposable
# clone of deploy/web. `kubectl eshell` works too, with bin/ on PATH.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export KUBECONFIG="$CLUSTER_DIR/kubeconfig" PATH="$ROOT/bin:$PATH"
cat >&2 <<MSG

  Local cluster and demo environment are up. Opening:
    kubectl eshell deploy/web -n demo-pr-42
  Try: env | grep DATABASE; cat /etc/eshell-demo/web/settings.ini; exit
  Afterwards (same shell): export KUBECONFIG=$KUBECONFIG PATH=$ROOT/bin:\$PATH
    kubectl eshell                      # pick environment, service, container
    kubectl eshell deploy/web -n demo-pr-42 --mode exec
    kubectl eshell deploy/worker -n demo-pr-42 --mode debug -c metrics
  Stop everything: make cluster-down

MSG
if [ -t 0 ] && [ -t 1 ]; then
  exec kubectl eshell deploy/web -n demo-pr-42
fi
# Without a terminal (CI, scripts): show it works with a one-off command.
kubectl eshell deploy/web -n demo-pr-42 -- sh -c 'echo "APP_ENV=$APP_ENV in $HOSTNAME"; cat /etc/eshell-demo/web/settings.ini'
