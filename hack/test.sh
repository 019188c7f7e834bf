#!/usr/bin/env bash
# The one test command (README, CI): format and vet, then every Go test,
# unit and end to end. The e2e suite starts the local cluster itself when
# none is running and stops what it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
make --no-print-directory lint
# The control plane build is long on a fresh machine; do it up front so
# the test timeout below only covers tests.
hack/build-control-plane.sh
go test -count=1 -timeout 40m ./... 2>&1 | tee "${ESHELL_TEST_LOG:-/dev/null}"
