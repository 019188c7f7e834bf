# Release packaging, included from the top-level Makefile. goreleaser
# (.goreleaser.yaml) is the one release path: the tag's release and these
# local snapshots build the same archives.
#
#   make dist              snapshot of all six platforms in dist/: archives
#                          and checksums.txt, as a release would publish them
#   make dist-host         the same for this machine's platform only
#   make goreleaser-check  validates .goreleaser.yaml
#   make krew-manifest     dist/eshell.yaml from deploy/krew/eshell.yaml
#   make test-dist         check, dist-host, manifest, then test/dist (which
#                          installs the archive with krew); what `make test`
#                          and CI run
#   make test-dist-all     the same against all six platforms
#
# goreleaser, krew and golangci-lint are built once per machine into the
# cache outside the clone (hack/install-tools.sh); goreleaser's first build
# takes about six minutes. Cross-compiling all six platforms takes 10 to 20
# minutes on two cores, which is why CI tests the host's archive and
# checks the other five by configuration (test/dist).
# KREW_TAG renders the manifest for a given tag instead of the one in the
# archive names.

# Paths relative to this file, so the targets work whichever directory the
# including Makefile is in.
DIST_MK_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
DIST_MK_MAKE := $(MAKE) --no-print-directory -f "$(firstword $(MAKEFILE_LIST))"

KREW_TAG ?=

.PHONY: dist dist-host goreleaser-check krew-manifest test-dist test-dist-all

# goreleaser reads the commit, its date and the remote from git. A snapshot
# in a clone without a remote (a local worktree) fails on the remote and then
# drops all of them: the binary would report commit "none" and the archive
# carry the build time. The project's URL stands in for the missing remote;
# a snapshot publishes nothing.
DIST_GIT_ENV := if ! git ls-remote --get-url >/dev/null 2>&1; then \
	  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url \
	    GIT_CONFIG_VALUE_0=https://github.com/sberz/kubectl-eshell.git; fi

dist:
	cd "$(DIST_MK_ROOT)" && g="$$(bash hack/install-tools.sh goreleaser)" && \
	  $(DIST_GIT_ENV) && \
	  nice -n 10 "$$g" release --snapshot --clean

# The configuration with goos and goarch narrowed to this machine, read from
# stdin: goreleaser's --single-target exists only for `goreleaser build`,
# which makes no archives. The grep makes sure the narrowing replaced the one
# goos and the one goarch line rather than silently nothing.
dist-host:
	cd "$(DIST_MK_ROOT)" && g="$$(bash hack/install-tools.sh goreleaser)" && \
	  $(DIST_GIT_ENV) && \
	  goos="$$(go env GOOS)" && goarch="$$(go env GOARCH)" && \
	  if [ "$$(grep -c '^    goos: ' .goreleaser.yaml) $$(grep -c '^    goarch: ' .goreleaser.yaml)" != "1 1" ]; then \
	    echo "dist-host: .goreleaser.yaml needs exactly one '    goos: [...]' and one '    goarch: [...]' line to narrow"; exit 1; fi && \
	  sed -e "s/^    goos: .*/    goos: [$$goos]/" -e "s/^    goarch: .*/    goarch: [$$goarch]/" .goreleaser.yaml | \
	  nice -n 10 "$$g" release --snapshot --clean --config -

goreleaser-check:
	cd "$(DIST_MK_ROOT)" && g="$$(bash hack/install-tools.sh goreleaser)" && "$$g" check

# --built-only: a host-only dist/ has one archive, so the manifest lists the
# platforms that were built; without it every platform must be there.
krew-manifest:
	bash "$(DIST_MK_ROOT)/hack/krew-manifest.sh" $(KREW_MANIFEST_FLAGS) $(KREW_TAG)

# Sequential sub-makes rather than prerequisites: with -j the manifest must
# still wait for the archives it hashes. -count=1 because the test reads
# dist/, which go test's cache does not see change reliably. ESHELL_KREW is
# the krew client the test installs the archive with.
test-dist:
	$(DIST_MK_MAKE) goreleaser-check
	$(DIST_MK_MAKE) dist-host
	$(DIST_MK_MAKE) krew-manifest KREW_MANIFEST_FLAGS=--built-only
	cd "$(DIST_MK_ROOT)" && k="$$(bash hack/install-tools.sh krew)" && ESHELL_KREW="$$k" go test -count=1 ./test/dist/

test-dist-all:
	$(DIST_MK_MAKE) goreleaser-check
	$(DIST_MK_MAKE) dist
	$(DIST_MK_MAKE) krew-manifest
	cd "$(DIST_MK_ROOT)" && k="$$(bash hack/install-tools.sh krew)" && ESHELL_KREW="$$k" go test -count=1 ./test/dist/
