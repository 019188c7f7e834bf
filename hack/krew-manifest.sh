#!/usr/bin/env bash
# Renders deploy/krew/eshell.yaml for one release tag against the archives in
# dist/ and writes dist/eshell.yaml: what krew-release-bot will submit to
# krew-index, produced locally so it can be tested before the tag is pushed,
# and so `kubectl krew install --manifest=dist/eshell.yaml
# --archive=dist/<archive>` can try the real install.
#
#   hack/krew-manifest.sh [--built-only] [TAG]
#
# TAG defaults to the version in the archive names in dist/checksums.txt,
# which is what `make dist` (goreleaser) just built. Every platform's archive
# must be in dist/, unless --built-only: then platforms whose archive was not
# built (`make dist-host` builds one) are left out of the manifest, which is
# then good for testing that archive, not for publishing. Only the template
# features eshell.yaml uses are supported: the TagName placeholder and
# addURIAndSha with a quoted URL and .TagName, in a platforms list whose
# entries start with "  - " (comment lines between them, at two spaces, go
# with the entry after them).
set -euo pipefail

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROJECT=kubectl-eshell
TEMPLATE="$ROOT/deploy/krew/eshell.yaml"
DIST="$ROOT/dist"
SUMS="$DIST/checksums.txt"
OUT="$DIST/eshell.yaml"

built_only=0
if [[ "${1:-}" == --built-only ]]; then
  built_only=1
  shift
fi
[[ $# -le 1 ]] || die "too many arguments: run hack/krew-manifest.sh [--built-only] [TAG]"
[[ -f "$SUMS" ]] || die "dist/checksums.txt missing: run 'make dist' (or goreleaser) first"
[[ -f "$TEMPLATE" ]] || die "deploy/krew/eshell.yaml missing: restore the manifest template"

tag="${1:-}"
if [[ -z "$tag" ]]; then
  tag="$(sed -n "s/^[0-9a-f]\{64\}  ${PROJECT}_\(v[^_]*\)_[a-z0-9]*_[a-z0-9]*\.\(tar\.gz\|zip\)\$/\1/p" "$SUMS" | sort -u)"
  [[ -n "$tag" ]] || die "no archive in dist/checksums.txt to take the tag from: pass the tag, e.g. hack/krew-manifest.sh v0.1.0"
  [[ "$tag" != *$'\n'* ]] || die "dist/checksums.txt has archives of several versions ($(echo $tag)): rebuild with 'make dist'"
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
# names (its last path segment) looked up in checksums.txt. Platform entries
# are held until they end, so one whose archive was not built can be left
# out whole (--built-only).
awk -v tag="$tag" -v sums="$SUMS" -v built_only="$built_only" '
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
  # out writes a line, or holds it while inside a platform entry.
  function out(s) {
    if (in_entry) entry = entry s "\n"
    else printf("%s\n", s)
  }
  # flush ends the current platform entry: written unless its archive is
  # missing.
  function flush() {
    if (in_entry && keep) printf("%s", entry)
    else if (in_entry) skipped++
    in_entry = 0
    entry = ""
  }
  /^  platforms:/ { platforms = 1; out($0); next }
  platforms && /^  - / { flush(); in_entry = 1; keep = 1; entry = pending; pending = ""; out($0); next }
  platforms && /^  #/ { flush(); pending = pending $0 "\n"; next }
  platforms && /^[^ ]/ { flush(); printf("%s", pending); pending = ""; platforms = 0 }
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
      if (built_only && in_entry) {
        keep = 0
        next
      }
      printf("%s is not in dist/checksums.txt\n", file) > "/dev/stderr"
      bad = 1
      next
    }
    built++
    out(indent "uri: " url)
    out(indent "sha256: " sha[file])
    next
  }
  { out(subst_tag($0)) }
  END {
    flush()
    printf("%s", pending)
    if (!bad && built == 0) {
      print "no platform of the manifest has its archive in dist/" > "/dev/stderr"
      bad = 1
    }
    if (!bad && skipped) printf("left out %d platforms whose archives were not built\n", skipped) > "/dev/stderr"
    exit bad
  }
' "$TEMPLATE" >"$tmp" ||
  die "could not render the manifest for $tag: build every platform the manifest names ('make dist') and run again"

if grep -n '{{' "$tmp" >&2; then
  die "template syntax left in the rendered manifest (lines above): hack/krew-manifest.sh supports only the TagName placeholder and addURIAndSha"
fi

mv "$tmp" "$OUT"
trap - EXIT
log "wrote dist/eshell.yaml for $tag"
