#!/usr/bin/env bash
# Builds the cri-o that TiSpace's nodes run — the whole `crio` binary and `pinns` from the Go module source
# of $CRIO_VERSION with crio/patches/ applied (the same patched tree test-patch.sh tests, the same patch
# operators ship) — into ${XDG_CACHE_HOME:-$HOME/.cache}/tispace/crio/bin-<version>-<patch hash>/.
# Prints that directory as the last line. A finished directory is reused (nothing is rebuilt).
# Used by the local cluster's real node (test/cluster/node/). Needs Go and crio/ci-packages.txt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CRIO_VERSION="$(tr -d '[:space:]' <"$here/CRIO_VERSION")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tispace/crio"
# cri-o's Makefile defaults minus what needs C libraries Debian's runtime packages do not bring (gpgme,
# btrfs, ostree): signatures are verified in Go, btrfs is not used as a graph driver (overlay is).
build_tags="seccomp selinux containers_image_openpgp containers_image_ostree_stub exclude_graphdriver_btrfs btrfs_noversion"
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false"

step() { printf '==> %s\n' "$*" >&2; }
started=$SECONDS

shopt -s nullglob
patches=("$here"/patches/*.patch)
shopt -u nullglob
((${#patches[@]})) || { echo "crio: no patches in $here/patches" >&2; exit 1; }
patch_sum="$(cat "${patches[@]}" | sha256sum | cut -c1-16)"
bin="$cache/bin-$CRIO_VERSION-$patch_sum"

if [[ -x "$bin/crio" && -x "$bin/pinns" ]]; then
  echo "$bin"
  exit 0
fi

# One build per cache: another checkout building the same version waits here, then finds it done.
mkdir -p "$cache"
exec 9>"$cache/.build-$CRIO_VERSION-$patch_sum.lock"
flock 9
if [[ -x "$bin/crio" && -x "$bin/pinns" ]]; then
  echo "$bin"
  exit 0
fi

# shellcheck source=crio/patched-tree.sh
source "$here/patched-tree.sh" >&2

scratch="$(mktemp -d "$cache/.bin.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
step "building crio (tags: $build_tags)"
(cd "$tree" && go build -tags "$build_tags" \
  -ldflags "-s -w -X github.com/cri-o/cri-o/internal/version.buildDate=unknown" \
  -o "$scratch/crio" ./cmd/crio) >&2
step "building pinns"
make -s -C "$tree/pinns" clean >&2 || true
make -s -C "$tree/pinns" >&2
cp "$tree/bin/pinns" "$scratch/pinns"
rm -rf "$bin"
mv "$scratch" "$bin"
trap - EXIT
find "$cache" -maxdepth 1 -name 'bin-*' ! -path "$bin" -exec rm -rf {} +
step "built crio and pinns in $((SECONDS - started)) s"
echo "$bin"
