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
# libvirt runs swtpm_setup as qemu.conf's swtpm_user (tss), or as root when libvirtd started
# before that user existed. A root run leaves the swtpm-localca CA files root's, and every later
# run as tss then fails "Need read/write rights on .../.lock.swtpm-localca": give them back to
# the user the package made the folder for.
localca=$(sed -n 's/^statedir *= *//p' /etc/swtpm-localca.conf 2>/dev/null || true)
swtpm_user=$(sed -n 's/^ *swtpm_user *= *"\(.*\)"/\1/p' /etc/libvirt/qemu.conf 2>/dev/null || true)
swtpm_user=${swtpm_user:-tss}
if [ "$(id -u)" -eq 0 ] && [ -n "$localca" ] && [ -d "$localca" ] && id -u "$swtpm_user" >/dev/null 2>&1; then
  chown -R "$swtpm_user" "$localca"
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
