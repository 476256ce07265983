#!/usr/bin/env bash
# A stand-in for hyper2kvm (a separate project) in hand-off tests: `convert` writes one output
# file and prints progress lines; `daemon` answers every manifest in its watch directory with a
# <job>.result.json, as hypervisord's hand-off protocol (docs/hyper2kvm.md) expects.
set -euo pipefail
cmd=$1; shift
declare -A opt
while [ $# -gt 0 ]; do opt[$1]=${2:-}; shift 2 || shift; done
case $cmd in
  convert)
    echo "converting ${opt[--source]} to ${opt[--format]}"
    echo "fake disk" > "${opt[--output-dir]}/converted-disk0.${opt[--format]}"
    echo "registered with libvirt"
    ;;
  daemon)
    while true; do
      for m in "${opt[--watch-dir]}"/*.json; do
        [ -e "$m" ] || continue
        case $m in *.result.json) continue ;; esac
        r="${m%.json}.result.json"
        [ -e "$r" ] || printf '{"status":"completed","outputs":["%s/out.qcow2"]}\n' "${opt[--output-dir]}" > "$r"
      done
      sleep 0.2
    done
    ;;
  --version) echo "hyper2kvm 0.0.0-fake" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
