#!/bin/sh
# Turns a bare Debian 12 root tree into TiSpace's SSH gateway. The one definition of the gateway image: the
# Containerfile runs it in debian:12-slim and the local builder (images/gateway-builder.ts, mmdebstrap) in
# a tree it bootstraps, so the tree the tests run in a Pod is the image that ships.
#
#   provision.sh packages                 the packages the gateway needs, one a line
#   provision.sh configure <root> <src>   everything else; <src> holds this folder's files
#
# <root> is the tree to change ("/" inside a container build).
set -eu

packages() {
  # sshd; curl for the session reporter (and an https:// TiSpace); ss (iproute2); passwd for useradd.
  cat <<'LIST'
openssh-server
curl
ca-certificates
iproute2
passwd
LIST
}

configure() {
  root=$1
  src=$2
  # The package's postinst makes host keys: removed, the gateway's one key is the mounted Secret. Its
  # sshd_config.d would be read before the shipped sshd_config's settings: removed too.
  rm -rf "$root"/etc/ssh/ssh_host_* "$root"/etc/ssh/sshd_config.d
  # `tispace` is the one jump login: no home, no shell, password `*` (not `!`: sshd without PAM treats
  # `!` as a locked account and refuses it even a public key).
  if ! grep -q '^tispace:' "$root/etc/passwd"; then
    useradd --root "$root" --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      --password '*' tispace
  fi
  mkdir -p "$root/run/sshd" "$root/etc/ssh/host-keys" "$root/etc/tispace-gateway"
  install -m 0644 "$src/sshd_config" "$root/etc/ssh/sshd_config"
  install -m 0755 "$src/tispace-authorized-keys" "$src/tispace-session-report" "$src/tispace-gateway" \
    "$root/usr/local/bin/"
}

case ${1:-} in
packages) packages ;;
configure)
  [ $# -eq 3 ] || {
    echo "usage: provision.sh configure <root> <src>" >&2
    exit 2
  }
  configure "$2" "$3"
  ;;
*)
  echo "usage: provision.sh packages | configure <root> <src>" >&2
  exit 2
  ;;
esac
