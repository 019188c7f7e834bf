#!/usr/bin/env bash
# Builds the images the local node runs, as OCI image-layout tarballs, from
# Debian's static binaries and this repo's programs (no registry is reachable
# from these machines), into a cache keyed by their inputs. Prints the
# directory holding the tarballs. `hack/cluster-up.sh` imports them into
# containerd under the names a user writes:
#   registry.k8s.io/pause:3.10                  the pod sandbox (test/images/sleep)
#   busybox:1.37                                sh and the busybox applets, no bash
#                                               (Debian's busybox-static; its version is 1.35)
#   bash:5.2                                    the same plus a static bash 5.2
#   zsh:5.9                                     busybox plus a static zsh 5.9 (Debian's
#                                               zsh-static; fish has no static build)
#   gcr.io/distroless/static-debian12:nonroot   no shell at all: only /bin/sleep, user 65532
#   (an image tagged :latest or untagged is always pulled, which fails here)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

for p in busybox-static bash-static zsh-static; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || die "$p is missing; run hack/install-deps.sh"
done
key="$( { cat "$0" "$ROOT"/test/images/*/*.go; dpkg-query -W busybox-static bash-static zsh-static; go version; } | sha256sum | cut -c1-16)"
out="$CACHE_DIR/images/$key"
if [ -f "$out/.done" ]; then echo "$out"; exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/bin/sleep" ./test/images/sleep \
  && go build -o "$work/bin/ociimage" ./test/images/ociimage) || die "building the image tools failed (see above)"

base() { # DIR: the files every image with a user database has
  mkdir -p "$1"/{etc,tmp,root,proc,sys,dev,home}
  chmod 1777 "$1/tmp"; chmod 700 "$1/root"
  cat > "$1/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false
PW
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$1/etc/group"
}
busybox_root() { # DIR
  base "$1"
  mkdir -p "$1/bin"
  cp /bin/busybox "$1/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list-full); do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$1/$(dirname "$applet")"
    ln -sf /bin/busybox "$1/$applet"
  done
}
PATHENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p "$out.tmp"
img() { # FILE NAME ROOTFS ARGS...
  local file="$1" name="$2" root="$3"; shift 3
  "$work/bin/ociimage" -rootfs "$root" -name "$name" -out "$out.tmp/$file.tar" "$@"
}

mkdir -p "$work/pause"; cp "$work/bin/sleep" "$work/pause/pause"
img pause registry.k8s.io/pause:3.10 "$work/pause" -entrypoint /pause -user 65535:65535

busybox_root "$work/busybox"
img busybox docker.io/library/busybox:1.37 "$work/busybox" -cmd sh -env "$PATHENV"

busybox_root "$work/bash"
cp /bin/bash-static "$work/bash/bin/bash"
mkdir -p "$work/bash/usr/local/bin"; ln -s /bin/bash "$work/bash/usr/local/bin/bash"
img bash docker.io/library/bash:5.2 "$work/bash" -cmd bash -env "$PATHENV"

busybox_root "$work/zsh"
cp /bin/zsh-static "$work/zsh/bin/zsh"
img zsh docker.io/library/zsh:5.9 "$work/zsh" -cmd zsh -env "$PATHENV"

base "$work/distroless"; rm -rf "$work/distroless/bin"; mkdir -p "$work/distroless/bin"
cp "$work/bin/sleep" "$work/distroless/bin/sleep"
img distroless gcr.io/distroless/static-debian12:nonroot "$work/distroless" -env "$PATHENV" -user 65532:65532

rm -rf "$out"; mv "$out.tmp" "$out"; touch "$out/.done"
log "images built into $out"
echo "$out"
