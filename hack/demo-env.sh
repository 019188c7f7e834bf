#!/usr/bin/env bash
# The demo environment: an ephemeral environment namespace "demo-pr-42"
# (labelled envs.sberz.de/name=demo) with a web app and a worker, and a
# plain namespace "sandbox". Applying it again is harmless.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export KUBECONFIG="$CLUSTER_DIR/kubeconfig"
[ -f "$KUBECONFIG" ] || die "no local cluster: run make cluster-up first"
K="$ROOT/bin/kubectl"
[ -x "$K" ] || (cd "$ROOT" && go build -o bin/kubectl ./test/tools/kubectl)
"$K" apply -f - <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: demo-pr-42
  labels: {envs.sberz.de/name: demo}
  annotations:
    envs.sberz.de/owner: demo@example.test
    url.envs.sberz.de/api: http://api.demo-pr-42.example.test
    url.envs.sberz.de/web: http://web.demo-pr-42.example.test
    status.envs.sberz.de/deployed: "true"
    status.envs.sberz.de/migrated: "true"
---
apiVersion: v1
kind: Namespace
metadata: {name: sandbox}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: demo-pr-42}
data:
  APP_ENV: demo
  DATABASE_HOST: postgres.demo-pr-42.svc
  settings.ini: |
    [web]
    workers = 2
    feature_flags = new-checkout
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret, namespace: demo-pr-42}
stringData: {DATABASE_PASSWORD: demo-password}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo-pr-42}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: bash:5.2
        command: [sleep, infinity]
        envFrom: [{configMapRef: {name: web-config}}]
        env: [{name: DATABASE_PASSWORD, valueFrom: {secretKeyRef: {name: web-secret, key: DATABASE_PASSWORD}}}]
        ports: [{containerPort: 8000, name: http}]
        readinessProbe: {exec: {command: ["true"]}}
        volumeMounts: [{name: settings, mountPath: /etc/eshell-demo/web, readOnly: true}]
      volumes:
      - name: settings
        configMap: {name: web-config, items: [{key: settings.ini, path: settings.ini}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo-pr-42}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: demo-pr-42}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - name: worker
        image: bash:5.2
        command: [sleep, infinity]
        envFrom: [{configMapRef: {name: web-config}}]
      - name: metrics
        image: busybox:1.37
        command: [sleep, infinity]
YAML
"$K" -n demo-pr-42 rollout status deploy/web --timeout=60s
"$K" -n demo-pr-42 rollout status deploy/worker --timeout=60s
log "demo environment ready: namespace demo-pr-42 (environment \"demo\") and sandbox"
