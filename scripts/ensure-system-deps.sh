#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing (as root, with apt-get):
# a C toolchain for better-sqlite3's native build, plus every list named ci-packages.txt in the tree
# (crio/, images/, test/cluster/…): each part of the project declares what it needs beside itself.
# Go (>= 1.26) must already be installed: Debian's is too old, and the control plane is compiled with it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lists=$(find "$here" \( -name node_modules -o -name .git -o -name .cache \) -prune -o -name ci-packages.txt -print | sort)
# shellcheck disable=SC2046,SC2086
packages=(python3 make g++ openssl $(cat $lists | sed 's/#.*//'))
# --list: print the packages (one per line) and stop; the tests check every list is found.
if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ensure-system-deps: missing Debian packages: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "ensure-system-deps: installing ${missing[*]}"
  # Packages are installed for their programs, never to run as services (openssh-server would start an
  # sshd on port 22, and fail the install on a machine where 22 is taken or no init system runs): while
  # installing, a policy-rc.d denies every service start (containers usually ship one already).
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# ensure-system-deps: no service starts while installing\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "ensure-system-deps: Go >= 1.26 is required (https://go.dev/doc/install)" >&2; exit 1; }
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
((go_minor >= 26)) || { echo "ensure-system-deps: Go >= 1.26 is required; found $(go env GOVERSION)" >&2; exit 1; }
