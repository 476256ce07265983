#!/usr/bin/env bash
# Installs the host tools hypervisord, the README's examples and the tests drive, from Debian
# packages, and starts libvirtd the way a machine without systemd as PID 1 needs.
# As root it installs what is missing; otherwise it names what to install and fails. When
# another apt or dpkg runs (unattended-upgrades, a second make), it waits for it up to
# APT_LOCK_TIMEOUT seconds (default 600) instead of failing.
#   deploy/install-deps.sh          what the daemon drives: qemu-img, libvirt + QEMU + OVMF +
#                                   swtpm (for conversion, import, and starting a VM that had a
#                                   TPM), and curl and jq for the README's
#                                   examples; libvirtd is started if it can be (`make deps`)
#   deploy/install-deps.sh --test   plus protoc, systemd-analyze and a C toolchain for the race
#                                   detector, Chromium (the dashboard's browser tests), Samba's smbd (the Hyper-V provider's SMB3 peer; its
#                                   tests start their own), and Azurite (npm) under
#                                   bin/tools/azurite; libvirtd must start
set -euo pipefail
test_deps=
[ "${1:-}" != "--test" ] || test_deps=1

declare -A need=(
  [qemu-img]=qemu-utils
  [libvirtd]=libvirt-daemon-system
  [virsh]=libvirt-clients
  [qemu-system-x86_64]=qemu-system-x86
  [swtpm]=swtpm
  [swtpm_setup]=swtpm-tools
  [curl]=curl
  [jq]=jq
)
if [ -n "$test_deps" ]; then
  need+=(
    [protoc]=protobuf-compiler
    [systemd-analyze]=systemd
    [gcc]=gcc
    [npm]=npm
    [chromium]=chromium
    [smbd]=samba
  )
fi

lock_timeout=${APT_LOCK_TIMEOUT:-600}
[[ $lock_timeout =~ ^[0-9]+$ ]] || { echo "APT_LOCK_TIMEOUT must be a number of seconds, got '$lock_timeout'" >&2; exit 2; }

# apt_get runs apt-get waiting for another apt's locks. DPkg::Lock::Timeout makes apt wait for
# dpkg's lock itself, but `apt-get update` takes the package lists' lock, which that option
# does not cover (apt 2.6): a call failing on a lock is retried until the same deadline. apt
# runs in the C locale so that its lock message is the English one matched here, whatever the
# user's language. The deadline is kept in microseconds (EPOCHREALTIME): bash's SECONDS ticks
# at whole seconds since the shell started, so a short timeout could end before a second try.
now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }
apt_get() {
  local deadline=$(($(now_us) + lock_timeout * 1000000)) out told=
  while :; do
    if out=$(LC_ALL=C apt-get -o DPkg::Lock::Timeout="$lock_timeout" "$@" 2>&1); then
      [ -z "$out" ] || printf '%s\n' "$out"
      return 0
    fi
    if [[ $out != *"Could not get lock"* ]] || [ "$(now_us)" -ge "$deadline" ]; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    [ -n "$told" ] || echo "waiting up to ${lock_timeout}s for another apt to release its lock" >&2
    told=1
    sleep 2
  done
}

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
if [ ! -e /usr/share/OVMF/OVMF_CODE_4M.fd ]; then
  missing+=(ovmf)
fi
# go test -race builds runtime/cgo, which needs the C library headers (gcc only recommends them).
if [ -n "$test_deps" ] && [ ! -e /usr/include/stdlib.h ]; then
  missing+=(libc6-dev)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing host tools; install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Azurite (npm), the Azure provider's blob peer, in a project-local folder its tests look in.
if [ -n "$test_deps" ]; then
  azurite_dir="$(cd "$(dirname "$0")/.." && pwd)/bin/tools/azurite"
  if [ -x "$azurite_dir/node_modules/.bin/azurite-blob" ]; then
    :
  elif command -v npm >/dev/null 2>&1; then
    echo "installing: azurite@3.37.0 (npm) into $azurite_dir"
    npm install --prefix "$azurite_dir" --no-audit --no-fund --loglevel=error azurite@3.37.0 >/dev/null
  else
    echo "warning: no npm, so no Azurite: the Azure provider's tests fail under CI" >&2
  fi
fi

# moto_server (pip package moto), the AWS provider's EC2 peer. It comes preinstalled with pip on
# the project's machines and cannot be installed from here (no PyPI): say so, naming it.
if [ -n "$test_deps" ] && ! command -v moto_server >/dev/null 2>&1; then
  echo "warning: moto_server not found (pip install 'moto[server]'): the AWS provider's tests fail under CI" >&2
fi

if [ -n "$test_deps" ]; then
  "$(dirname "$0")/start-libvirtd.sh"
elif ! "$(dirname "$0")/start-libvirtd.sh"; then
  echo "warning: without libvirtd the daemon exports and converts, but cannot import to KVM" >&2
fi
