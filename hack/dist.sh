#!/usr/bin/env bash
# Builds the release archives without goreleaser: the same names and layout
# as .goreleaser.yaml, so the krew manifest can be rendered and checked
# against real archives on a machine that cannot run goreleaser.
#
#   hack/dist.sh            build dist/ for DIST_PLATFORMS (default: all six)
#   hack/dist.sh ldflags    print the -ldflags a release build uses, for
#                           stamping a local build the same way
#
# Environment:
#   DIST_PLATFORMS   space-separated os/arch list; cross-compiling all six on
#                    two cores is slow, so narrow it while iterating, e.g.
#                    DIST_PLATFORMS="linux/amd64 darwin/arm64"
#   DIST_VERSION     overrides the version taken from git describe
#   SOURCE_DATE_EPOCH  overrides the timestamp taken from the HEAD commit
set -euo pipefail
# Byte order for every sort and glob, so archive entries and checksums.txt
# come out the same on every machine.
export LC_ALL=C

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROJECT=kubectl-eshell
MAIN_PKG=./cmd/kubectl-eshell
VERSION_PKG=github.com/sberz/kubectl-eshell/pkg/version
DIST="$ROOT/dist"
ALL_PLATFORMS="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"
PLATFORMS="${DIST_PLATFORMS:-$ALL_PLATFORMS}"
# The oldest time a zip entry can carry (DOS dates start in 1980); used when
# there is no commit to take a time from.
FALLBACK_EPOCH=315532800

cd "$ROOT"

# version follows `git describe`, so a tagged commit builds as its tag. An
# untagged repository makes --always print a bare hash, which is not the
# semver krew requires, so it becomes a v0.0.0 prerelease of that hash.
version() {
  if [[ -n "${DIST_VERSION:-}" ]]; then
    echo "$DIST_VERSION"
    return
  fi
  local v
  if ! v="$(git describe --tags --always --dirty 2>/dev/null)" || [[ -z "$v" ]]; then
    echo "v0.0.0-dev"
    return
  fi
  if [[ "$v" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    echo "$v"
  else
    echo "v0.0.0-$v"
  fi
}

commit() {
  git rev-parse HEAD 2>/dev/null || echo unknown
}

# epoch is the one timestamp of the build: archive entries get it as their
# mtime and the binary reports it as its date. The commit's time, not the
# clock, so rebuilding a commit gives byte-identical archives.
epoch() {
  if [[ -n "${SOURCE_DATE_EPOCH:-}" ]]; then
    echo "$SOURCE_DATE_EPOCH"
  elif git log -1 --format=%ct 2>/dev/null; then
    :
  else
    echo "$FALLBACK_EPOCH"
  fi
}

# date is what pkg/version prints; with no commit and no SOURCE_DATE_EPOCH
# there is no honest date to give, so it stays "unknown".
build_date() {
  if [[ -z "${SOURCE_DATE_EPOCH:-}" ]] && ! git log -1 --format=%ct >/dev/null 2>&1; then
    echo unknown
    return
  fi
  date -u -d "@$(epoch)" +%Y-%m-%dT%H:%M:%SZ
}

ldflags() {
  printf -- '-s -w -X %s.Version=%s -X %s.Commit=%s -X %s.Date=%s' \
    "$VERSION_PKG" "$(version)" "$VERSION_PKG" "$(commit)" "$VERSION_PKG" "$(build_date)"
}

if [[ "${1:-}" == ldflags ]]; then
  ldflags
  echo
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument $1: run hack/dist.sh without arguments, or with 'ldflags'"
fi

# Check every input before the slow part, so a missing file fails in a second
# rather than after minutes of cross-compiling.
[[ -f README.md ]] || die "README.md missing: the archives ship it next to LICENSE; add README.md at the repository root and run again"
[[ -f LICENSE ]] || die "LICENSE missing: add it at the repository root and run again"
[[ -f deploy/krew/kubectl_complete-eshell ]] || die "deploy/krew/kubectl_complete-eshell missing: restore the completion shim and run again"
[[ -d "$MAIN_PKG" ]] || die "$MAIN_PKG missing: the main package has to exist before a release can be built"
for tool in go tar gzip zip sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found: install it (on Debian: apt-get install $tool) and run again"
done
for p in $PLATFORMS; do
  [[ "$p" =~ ^[a-z0-9]+/[a-z0-9]+$ ]] || die "DIST_PLATFORMS entry '$p' is not os/arch: use e.g. DIST_PLATFORMS=\"linux/amd64 darwin/arm64\""
done

VERSION="$(version)"
EPOCH="$(epoch)"
LDFLAGS="$(ldflags)"

# A fresh dist/ every time: checksums.txt must list exactly what this run
# built, not archives of an earlier version or a wider platform list.
rm -rf "$DIST"
mkdir -p "$DIST"
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/eshell-dist.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

log "building $PROJECT $VERSION for: $PLATFORMS"
for p in $PLATFORMS; do
  os="${p%/*}"
  arch="${p#*/}"
  bin="$PROJECT"
  [[ "$os" == windows ]] && bin="$PROJECT.exe"
  name="${PROJECT}_${VERSION}_${os}_${arch}"
  dir="$STAGE/$name"
  mkdir -p "$dir"

  log "  $os/$arch"
  CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" \
    go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$dir/$bin" "$MAIN_PKG"

  cp LICENSE README.md deploy/krew/kubectl_complete-eshell "$dir/"
  # Modes and times are set explicitly so the archive does not depend on the
  # umask or on when the files were checked out.
  chmod 0755 "$dir/$bin" "$dir/kubectl_complete-eshell"
  chmod 0644 "$dir/LICENSE" "$dir/README.md"
  touch -h -d "@$EPOCH" "$dir"/*

  # Sorted entries (the list is in byte order), root ownership, the commit's
  # time, and a gzip header without name or time: the same commit gives the
  # same archive bytes.
  files=(LICENSE README.md "$bin" kubectl_complete-eshell)
  if [[ "$os" == windows ]]; then
    (cd "$dir" && TZ=UTC zip -q -X -D "$DIST/$name.zip" "${files[@]}")
  else
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" \
      --format=ustar -C "$dir" -cf - "${files[@]}" | gzip -n -9 >"$DIST/$name.tar.gz"
  fi
done

# sha256sum's own format ("<hash>  <file>"), which krew-release-bot,
# hack/krew-manifest.sh and `sha256sum -c` all read.
(cd "$DIST" && sha256sum "${PROJECT}_${VERSION}"_* >checksums.txt)
log "wrote $(wc -l <"$DIST/checksums.txt") archives and checksums.txt to dist/"
