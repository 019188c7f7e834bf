#!/usr/bin/env bash
# The one test command (README, CI): format and vet, every Go test (unit,
# and end to end against the local cluster, which the e2e suite starts when
# none is running and stops again), then the release archives and the krew
# manifest built and validated.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
make --no-print-directory lint
# The control plane build is long on a fresh machine; do it up front so
# the test timeout below only covers tests.
hack/install-deps.sh
hack/build-control-plane.sh
hack/build-containerd.sh
# The e2e tests spend their time waiting on the cluster, not the CPU: run
# more of them side by side than the two cores would suggest.
go test -count=1 -timeout 40m -parallel 8 $(go list ./... | grep -v /test/dist)
# test/dist validates what `make dist krew-manifest` produced.
make --no-print-directory test-dist
