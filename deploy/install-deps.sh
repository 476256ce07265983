#!/usr/bin/env bash
# Installs the host tools hypervisord and its tests drive, from Debian packages.
# As root it installs what is missing; otherwise it names what to install and fails.
set -euo pipefail

# command → Debian package
declare -A need=(
  [qemu-img]=qemu-utils
  [protoc]=protobuf-compiler
)

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing host tools; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
