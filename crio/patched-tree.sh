# Sourced by test-patch.sh and build-node.sh: fetches github.com/cri-o/cri-o@$CRIO_VERSION through the Go
# module proxy and makes (once) a writable copy with crio/patches/*.patch applied. Expects $here (this
# directory), $cache, $CRIO_VERSION, the array $patches and a step() function; sets $tree (the patched
# source), $patch_sum (first 16 hex digits of the patches' sha256) and $module_sum.
# shellcheck shell=bash

step "fetching github.com/cri-o/cri-o@$CRIO_VERSION through the Go module proxy"
info="$(cd "$cache/.." 2>/dev/null || cd /; go mod download -json "github.com/cri-o/cri-o@$CRIO_VERSION")"
module_dir="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
module_sum="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p')"
[[ -n "$module_dir" && -f "$module_dir/go.mod" ]] ||
  { echo "crio: go mod download gave no source directory:" >&2; echo "$info" >&2; exit 1; }
step "module source $module_dir ($module_sum)"

patch_sum="$(cat "${patches[@]}" | sha256sum | cut -c1-16)"
tree="$cache/src-$CRIO_VERSION-$patch_sum"
stamp="$tree/.tispace-patched"

if [[ -f "$stamp" ]]; then
  step "reusing patched tree $tree"
else
  mkdir -p "$cache"
  work="$(mktemp -d "$cache/.work.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  step "copying the source to a writable tree"
  cp -R "$module_dir/." "$work/"
  chmod -R u+w "$work"
  for p in "${patches[@]}"; do
    step "applying $(basename "$p")"
    # --fuzz=0: every hunk must match exactly, a drifting release fails here rather than misbehaving.
    patch -d "$work" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch <"$p"
  done
  printf '%s\n' "$CRIO_VERSION $module_sum" "${patches[@]##*/}" >"$work/.tispace-patched"
  rm -rf "$tree"
  mv "$work" "$tree"
  trap - EXIT
  # Older trees of other versions or patch sets are no longer needed.
  find "$cache" -maxdepth 1 -name 'src-*' ! -path "$tree" -exec rm -rf {} +
fi

