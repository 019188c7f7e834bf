# Release packaging, included from the top-level Makefile.
#
#   make dist            archives + checksums.txt in dist/ (hack/dist.sh)
#   make krew-manifest   dist/eshell.yaml from deploy/krew/eshell.yaml
#   make test-dist       both, then the checks in test/dist/
#
# Cross-compiling all six platforms on two cores takes a while; narrow it
# while iterating with DIST_PLATFORMS="linux/amd64 darwin/arm64". The krew
# manifest needs all six, so krew-manifest fails on a narrowed dist/.
# KREW_TAG renders the manifest for a given tag instead of the one in the
# archive names.

# Paths relative to this file, so the targets work whichever directory the
# including Makefile is in.
DIST_MK_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)

DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
KREW_TAG ?=

.PHONY: dist krew-manifest test-dist

dist:
	DIST_PLATFORMS="$(DIST_PLATFORMS)" bash "$(DIST_MK_ROOT)/hack/dist.sh"

krew-manifest:
	bash "$(DIST_MK_ROOT)/hack/krew-manifest.sh" $(KREW_TAG)

# Sequential sub-makes rather than prerequisites: with -j the manifest must
# still wait for the archives it hashes. -count=1 because the test reads
# dist/, which go test's cache does not see change reliably.
test-dist:
	$(MAKE) -f "$(firstword $(MAKEFILE_LIST))" dist
	$(MAKE) -f "$(firstword $(MAKEFILE_LIST))" krew-manifest
	cd "$(DIST_MK_ROOT)" && go test -count=1 ./test/dist/
