#!/usr/bin/env bash
# Proves TiSpace's cri-o patch against the pinned cri-o release:
#   1. fetches github.com/cri-o/cri-o@$CRIO_VERSION through the Go module proxy (go mod download),
#   2. copies the source out of the read-only module cache into a writable tree under
#      ${XDG_CACHE_HOME:-$HOME/.cache}/tispace/crio/,
#   3. applies crio/patches/*.patch with no fuzz (a patch that does not apply cleanly fails),
#   4. builds the changed packages (the new one and cri-o's server package, which calls it),
#   5. vets the new package and runs its unit tests (go test -v),
#   6. loads crio.conf.d/99-tispace-kata.conf with cri-o's own configuration code (crio/check/).
# Idempotent: a tree already patched with the same patches is reused (Go's build cache makes the
# rebuild quick). Exits non-zero on the first failure. Needs Go and the packages in crio/ci-packages.txt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CRIO_VERSION="$(tr -d '[:space:]' <"$here/CRIO_VERSION")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tispace/crio"
new_pkg="./internal/rootfsvolume"
changed_pkgs=("$new_pkg" ./server)
# Tags of a distribution build that need no C library beyond libseccomp: OpenPGP in Go instead of
# gpgme, no btrfs or ostree support. The patch touches none of what these tags switch.
build_tags="seccomp selinux containers_image_openpgp containers_image_ostree_stub exclude_graphdriver_btrfs btrfs_noversion"

export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false"

step() { printf '==> %s\n' "$*"; }
started=$SECONDS

command -v go >/dev/null || { echo "test-patch: go is not installed" >&2; exit 1; }
command -v patch >/dev/null || { echo "test-patch: patch is not installed (crio/ci-packages.txt)" >&2; exit 1; }
pkg-config --exists libseccomp 2>/dev/null ||
  { echo "test-patch: libseccomp-dev / pkg-config missing (crio/ci-packages.txt)" >&2; exit 1; }

shopt -s nullglob
patches=("$here"/patches/*.patch)
shopt -u nullglob
((${#patches[@]})) || { echo "test-patch: no patches in $here/patches" >&2; exit 1; }

step "go $(go env GOVERSION); cri-o $CRIO_VERSION; cache $cache"

# shellcheck source=crio/patched-tree.sh
source "$here/patched-tree.sh"

cd "$tree"
step "diff to existing cri-o files:"
for p in "${patches[@]}"; do
  # Lines added/removed per existing file (new files are the patch's own).
  awk '/^--- a\//{f=substr($2,3)} /^--- \/dev\/null/{f=""} f!="" && /^[+-][^+-]/{n[f]++} END{for (k in n) printf "      %s: %d lines\n", k, n[k]}' "$p"
done

step "building ${changed_pkgs[*]} (tags: $build_tags)"
go build -tags "$build_tags" "${changed_pkgs[@]}"

step "go vet $new_pkg"
go vet -tags "$build_tags" "$new_pkg"

step "go test -v $new_pkg"
go test -count=1 -v -tags "$build_tags" "$new_pkg"

step "go test -v: drop-in $here/crio.conf.d/99-tispace-kata.conf against cri-o's config loader"
rm -rf internal/tispacecheck
mkdir -p internal/tispacecheck
cp "$here"/check/*_test.go internal/tispacecheck/
TISPACE_CRIO_DROPIN="$here/crio.conf.d/99-tispace-kata.conf" go test -count=1 -v -tags "$build_tags" ./internal/tispacecheck

step "ok: cri-o $CRIO_VERSION with TiSpace's patch builds and its tests pass ($((SECONDS - started)) s)"
