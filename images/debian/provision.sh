#!/usr/bin/env bash
# Turns a bare Debian-family root tree (Debian, Ubuntu) into a TiSpace machine. The one definition of
# what every TiSpace machine is: the local builder (images/builder.ts, mmdebstrap) and the Containerfiles
# both run this file, so the tested tree and the published image cannot drift.
#
#   provision.sh packages                          the packages a TiSpace machine needs, one a line
#   provision.sh install <root>                    install them with the root's own apt-get (Containerfile)
#   provision.sh configure <root> <image> <user>   everything else (users, sshd, units, per-machine files)
#
# <root> is the tree to change ("/" inside a container build). Commands that must see the tree as the
# machine will (useradd, systemctl enable) run through chroot, which is a no-op for "/".
set -euo pipefail

script_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)

packages() {
  # systemd as init; sshd; sudo; Docker (the distribution's docker.io); what a shell on a dev machine
  # expects. No Recommends: what is here is what is listed (plus hard dependencies).
  cat <<'EOF'
systemd
systemd-sysv
dbus
libpam-systemd
openssh-server
sudo
docker.io
ca-certificates
curl
netbase
iproute2
iputils-ping
procps
less
vim-tiny
bash-completion
EOF
}

install_packages() {
  local root=$1
  chroot "$root" apt-get update -qq
  # shellcheck disable=SC2046
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends $(packages)
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/*
}

# Units that cannot work in a Pod (no udev, no consoles or ttys, no kernel tunables or filesystems of
# the host, no clock, DNS from the runtime): masked so a boot ends without failed units.
masked_units=(
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service
  getty.target console-getty.service getty@.service serial-getty@.service getty-static.service
  systemd-modules-load.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount
  systemd-journald-audit.socket systemd-timesyncd.service systemd-resolved.service
  systemd-networkd-wait-online.service e2scrub_reap.service
)

# Replaces a file (or a symlink) by a plain file. In a container build the runtime has bind-mounted
# it (EBUSY): left alone there, the golden-image Job resets it in the copy.
reset_file() {
  local file=$1 content=$2
  if rm -f "$file" 2>/dev/null; then
    printf '%s' "$content" >"$file"
  else
    echo "provision: $file is mounted by the build's runtime; the golden-image Job resets it" >&2
  fi
}

configure() {
  local root=$1 image=$2 user=$3
  [[ $user =~ ^[a-z_][a-z0-9_-]*$ ]] || { echo "provision: login user '$user' is not a Unix user name" >&2; exit 2; }
  [[ $image =~ ^[a-z0-9][a-z0-9.-]*$ ]] || { echo "provision: image name '$image' is not valid" >&2; exit 2; }
  [[ -x $root/lib/systemd/systemd && -x $root/usr/sbin/sshd ]] ||
    { echo "provision: $root lacks systemd or sshd; run 'provision.sh install' (or include packages) first" >&2; exit 2; }

  # --- The login user: uid 1000, passwordless sudo, Docker without sudo, home on the root disk.
  local existing
  existing=$(chroot "$root" getent passwd 1000 | cut -d: -f1 || true)
  if [[ -z $existing ]]; then
    chroot "$root" useradd --uid 1000 --user-group --create-home --shell /bin/bash \
      --groups sudo,docker --comment "TiSpace login user" "$user"
  elif [[ $existing != "$user" ]]; then
    echo "provision: uid 1000 is already '$existing' in the base image, expected '$user'" >&2
    exit 2
  else
    chroot "$root" usermod --append --groups sudo,docker "$user"
  fi
  # No password at all ("*", not the locked "!"): keys are the only way in, and sshd without PAM
  # would refuse a locked account even with a valid key.
  chroot "$root" usermod --password '*' "$user"
  install -d -m 0700 -o 1000 -g 1000 "$root/home/$user/.ssh"
  install -m 0440 /dev/stdin "$root/etc/sudoers.d/tispace" <<EOF
# TiSpace: the machine's owner is its administrator.
$user ALL=(ALL:ALL) NOPASSWD: ALL
EOF

  # --- sshd: public keys only. The owner's keys are the Pod's Secret, mounted at /etc/tispace/ssh.
  # Kubernetes mounts a Secret on a world-writable tmpfs (drwxrwxrwt), which sshd's StrictModes refuses
  # for an AuthorizedKeysFile; a root-owned command that prints the file is not subject to it.
  install -d -m 0755 "$root/usr/local/lib/tispace" "$root/etc/tispace" "$root/etc/tispace/ssh"
  install -m 0755 /dev/stdin "$root/usr/local/lib/tispace/authorized-keys" <<EOF
#!/bin/sh
# sshd AuthorizedKeysCommand: the keys TiSpace mounts for the login user ($user), nobody else.
keys=/etc/tispace/ssh/authorized_keys
[ "\$1" = "$user" ] || exit 0
[ -r "\$keys" ] || { echo "tispace: \$keys is missing or unreadable" >&2; exit 0; }
exec cat "\$keys"
EOF
  install -m 0644 /dev/stdin "$root/etc/ssh/sshd_config.d/10-tispace.conf" <<'EOF'
# TiSpace: public keys only. Included first by sshd_config, so these values win.
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
PermitEmptyPasswords no
StrictModes yes
# The owner's keys (the Pod's Secret) plus the user's own.
AuthorizedKeysCommand /usr/local/lib/tispace/authorized-keys %u
AuthorizedKeysCommandUser nobody
AuthorizedKeysFile .ssh/authorized_keys
EOF
  # No host keys in the image: two machines must never share one. Generated at first boot.
  rm -f "$root"/etc/ssh/ssh_host_*

  # --- Units.
  local units=$root/etc/systemd/system
  install -m 0644 /dev/stdin "$units/tispace-ssh-host-keys.service" <<'EOF'
[Unit]
Description=TiSpace: generate this machine's SSH host keys (the image ships none)
Before=ssh.service
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/ssh-keygen -A

[Install]
RequiredBy=ssh.service
EOF
  install -m 0755 /dev/stdin "$root/usr/local/lib/tispace/rootfs-guard" <<'EOF'
#!/bin/sh
# A machine must run on its own disk. With TiSpace's cri-o patch the disk becomes the root filesystem
# and /tispace/rootfs is a plain directory; if it is still a mount point, the node's cri-o lacks the
# patch and this machine runs on the image's throw-away filesystem: everything written would be lost.
if mountpoint -q /tispace/rootfs; then
  msg="TISPACE: REFUSING TO BOOT: /tispace/rootfs is a mount point, so this machine is running on its container image instead of its own disk (the node's cri-o lacks TiSpace's rootfs patch, see crio/). Nothing written here would be kept; stopping."
  echo "$msg" >&2
  # The Pod's log is PID 1's output; a console exists only on some runtimes.
  for out in /proc/1/fd/1 /dev/console; do
    { [ -e "$out" ] && echo "$msg" >"$out"; } 2>/dev/null || true
  done
  exit 1
fi
EOF
  install -m 0644 /dev/stdin "$units/tispace-rootfs-guard.service" <<'EOF'
[Unit]
Description=TiSpace: refuse to boot unless the root filesystem is the machine's own disk
DefaultDependencies=no
Before=sysinit.target local-fs.target
Conflicts=shutdown.target
# Stop the container (the Pod restarts and shows why) rather than run on a disk that is thrown away.
FailureAction=exit
FailureActionExitStatus=78

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/tispace/rootfs-guard
StandardOutput=journal+console
StandardError=journal+console

[Install]
RequiredBy=sysinit.target
EOF
  install -d -m 0755 "$root/tispace/rootfs"

  chroot "$root" systemctl enable tispace-rootfs-guard.service tispace-ssh-host-keys.service \
    ssh.service docker.service containerd.service
  chroot "$root" systemctl mask "${masked_units[@]}"

  # --- Docker: data on the root disk, bounded logs.
  install -d -m 0755 "$root/etc/docker"
  install -m 0644 /dev/stdin "$root/etc/docker/daemon.json" <<'EOF'
{
  "data-root": "/var/lib/docker",
  "log-driver": "local"
}
EOF

  # --- Per-machine files. machine-id empty: systemd generates one at first boot and commits it.
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"
  # hostname, hosts and resolv.conf are the runtime's (bind-mounted by cri-o): plain files, never a
  # symlink into /run (resolved is masked), so the runtime's DNS is what the machine uses.
  reset_file "$root/etc/hostname" ''
  reset_file "$root/etc/hosts" $'127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n'
  reset_file "$root/etc/resolv.conf" ''
  printf 'LANG=C.UTF-8\n' >"$root/etc/default/locale"
  rm -f "$root/.dockerenv"

  cat >"$root/etc/tispace-golden" <<EOF
image=$image
login-user=$user
script-sha256=$script_hash
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
  chmod 0644 "$root/etc/tispace-golden"
}

case "${1:-}" in
  packages) packages ;;
  install) install_packages "${2:?usage: provision.sh install <root>}" ;;
  configure)
    configure "${2:?usage: provision.sh configure <root> <image> <user>}" \
      "${3:?usage: provision.sh configure <root> <image> <user>}" \
      "${4:?usage: provision.sh configure <root> <image> <user>}"
    ;;
  *)
    echo "usage: provision.sh packages | install <root> | configure <root> <image> <login-user>" >&2
    exit 2
    ;;
esac
