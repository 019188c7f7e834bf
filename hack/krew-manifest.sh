#!/usr/bin/env bash
# Renders deploy/krew/eshell.yaml for one release tag against the archives in
# dist/ and writes dist/eshell.yaml: what krew-release-bot will submit to
# krew-index, produced locally so it can be tested before the tag is pushed,
# and so `kubectl krew install --manifest=dist/eshell.yaml
# --archive=dist/<archive>` can try the real install.
#
#   hack/krew-manifest.sh [TAG]
#
# TAG defaults to the version in the archive names in dist/checksums.txt,
# which is what `make dist` (or goreleaser) just built. Only the template
# features eshell.yaml uses are supported: the TagName placeholder and
# addURIAndSha with a quoted URL and .TagName.
set -euo pipefail

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROJECT=kubectl-eshell
TEMPLATE="$ROOT/deploy/krew/eshell.yaml"
DIST="$ROOT/dist"
SUMS="$DIST/checksums.txt"
OUT="$DIST/eshell.yaml"

[[ $# -le 1 ]] || die "too many arguments: run hack/krew-manifest.sh [TAG]"
[[ -f "$SUMS" ]] || die "dist/checksums.txt missing: run 'make dist' (or goreleaser) first"
[[ -f "$TEMPLATE" ]] || die "deploy/krew/eshell.yaml missing: restore the manifest template"

tag="${1:-}"
if [[ -z "$tag" ]]; then
  tag="$(sed -n "s/^[0-9a-f]\{64\}  ${PROJECT}_\(.*\)_linux_amd64\.tar\.gz\$/\1/p" "$SUMS" | head -n1)"
  [[ -n "$tag" ]] || die "no linux/amd64 archive in dist/checksums.txt to take the tag from: pass the tag, e.g. hack/krew-manifest.sh v0.1.0"
fi
# krew parses spec.version as semver with a leading v; catch it here rather
# than in krew-index review.
if ! [[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
  die "tag $tag is not a semantic version with a leading v (v1.2.3): krew rejects it; tag the commit (git tag v0.1.0) and rebuild with 'make dist'"
fi

# An archive whose bytes no longer match checksums.txt must not get its
# stale hash published.
(cd "$DIST" && sha256sum --quiet -c checksums.txt) ||
  die "dist/ archives do not match dist/checksums.txt: rebuild with 'make dist'"

tmp="$(mktemp "$DIST/.eshell.yaml.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

# awk does the substitution line by line: addURIAndSha becomes a uri and a
# sha256 line at the call's indent, with the hash of the archive the URL
# names (its last path segment) looked up in checksums.txt.
awk -v tag="$tag" -v sums="$SUMS" '
  BEGIN {
    while ((getline line < sums) > 0) {
      split(line, f, /  /)
      sha[f[2]] = f[1]
    }
  }
  function subst_tag(s) {
    gsub(/\{\{ *\.TagName *\}\}/, tag, s)
    return s
  }
  /\{\{ *addURIAndSha / {
    if (!match($0, /addURIAndSha "[^"]*"/)) {
      printf("line %d: addURIAndSha needs a quoted URL\n", NR) > "/dev/stderr"
      bad = 1
      next
    }
    url = subst_tag(substr($0, RSTART + 14, RLENGTH - 15))
    indent = $0
    sub(/[^ ].*$/, "", indent)
    file = url
    sub(/.*\//, "", file)
    if (!(file in sha)) {
      printf("%s is not in dist/checksums.txt\n", file) > "/dev/stderr"
      bad = 1
      next
    }
    print indent "uri: " url
    print indent "sha256: " sha[file]
    next
  }
  { print subst_tag($0) }
  END { exit bad }
' "$TEMPLATE" >"$tmp" ||
  die "could not render the manifest for $tag: build every platform the manifest names (make dist, without DIST_PLATFORMS) and run again"

if grep -n '{{' "$tmp" >&2; then
  die "template syntax left in the rendered manifest (lines above): hack/krew-manifest.sh supports only the TagName placeholder and addURIAndSha"
fi

mv "$tmp" "$OUT"
trap - EXIT
log "wrote dist/eshell.yaml for $tag"
