#!/usr/bin/env bash
# Starts virtlogd and libvirtd by hand when no systemd runs them (containers, CI), and waits for
# the socket. Does nothing when libvirtd already answers.
set -euo pipefail
sock=/var/run/libvirt/libvirt-sock
# Without udev, /dev/kvm stays root-only. libvirt then probes qemu with KVM, finds it unusable
# for its qemu user at every later look-up and probes again: each define takes minutes. Give the
# device the owner and mode Debian's udev rule gives it.
if [ "$(id -u)" -eq 0 ] && [ -c /dev/kvm ] && getent group kvm >/dev/null; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi
if [ -S "$sock" ] && virsh -c qemu:///system version >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "libvirtd is not running; start it (as root: $0, or systemctl start libvirtd)" >&2
  exit 1
fi
pgrep -x virtlogd >/dev/null || /usr/sbin/virtlogd -d
pgrep -x libvirtd >/dev/null || /usr/sbin/libvirtd -d
for _ in $(seq 50); do
  if [ -S "$sock" ] && virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "libvirtd running"
    exit 0
  fi
  sleep 0.2
done
echo "libvirtd did not come up within 10 s" >&2
exit 1
