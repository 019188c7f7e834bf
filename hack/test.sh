#!/usr/bin/env bash
# The one test command (README, CI): gofmt, go vet and golangci-lint, every
# Go test (unit, and end to end against the local cluster, which the e2e
# suite starts when none is running and stops again), then the release
# archives and the krew manifest built and validated.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
make --no-print-directory lint
# The control plane build is long on a fresh machine; do it up front so
# the test timeout below only covers tests.
hack/build-control-plane.sh
go test -count=1 -timeout 40m $(go list ./... | grep -v /test/dist)
# goreleaser check, a snapshot of this machine's archive, the krew manifest
# rendered against it and installed with krew (mk/dist.mk); the other five
# platforms are checked from .goreleaser.yaml, not built.
make --no-print-directory test-dist
