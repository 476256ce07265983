#!/usr/bin/env bash
# Tests install-deps.sh with a fake apt-get and a fake start-libvirtd.sh, on a PATH where
# qemu-img is missing, so nothing on the host is installed, locked or started: every apt-get
# call is told to wait for dpkg's lock, an `apt-get update` that finds the package lists
# locked is retried until the lock is free (or APT_LOCK_TIMEOUT runs out) whatever the user's
# language, any other failure fails at once, and libvirtd failing to start fails only --test.
# `make test` runs it.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/deploy"
bin=$tmp/bin
script=$tmp/deploy/install-deps.sh
cp "$(dirname "$0")/install-deps.sh" "$script"
ln -s "$(command -v bash)" "$bin/bash"
ln -s "$(command -v sleep)" "$bin/sleep"
ln -s "$(command -v dirname)" "$bin/dirname"
printf '#!/bin/bash\necho 0\n' >"$bin/id" # root, as far as the script can tell
# Only builtins in the fakes: the PATH has nothing else.
cat >"$tmp/deploy/start-libvirtd.sh" <<'FAKE'
#!/bin/bash
echo "start-libvirtd" >>"$CALLS"
[ -z "$LIBVIRTD_FAILS" ]
FAKE
# apt-get logs its arguments; `update` reports the lists' lock held for the first $LOCKED
# calls — in German when the locale says so, as the real one does — then fails if $BROKEN is set.
cat >"$bin/apt-get" <<'FAKE'
#!/bin/bash
echo "apt-get $*" >>"$CALLS"
if [[ " $* " == *" update "* ]]; then
  n=0
  [ ! -e "$COUNT" ] || read -r n <"$COUNT"
  n=$((n + 1))
  echo "$n" >"$COUNT"
  if [ "$n" -le "$LOCKED" ]; then
    lang=${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}
    if [[ $lang == de* ]]; then
      echo "E: Sperre /var/lib/apt/lists/lock konnte nicht erlangt werden. Sie wird von Prozess 1 (apt-get) gehalten." >&2
    else
      echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)" >&2
    fi
    exit 100
  fi
  if [ -n "$BROKEN" ]; then
    echo "E: The repository is not signed." >&2
    exit 100
  fi
fi
FAKE
chmod +x "$bin/id" "$bin/apt-get" "$tmp/deploy/start-libvirtd.sh"

fails=0
# run NAME WANT_RC WANT_UPDATES WANT_INSTALLS WANT_STARTS [--test], with LOCKED, BROKEN, TIMEOUT,
# LIBVIRTD_FAILS and USER_LANG (the user's LANG) set for the fakes.
run() {
  local name=$1 calls=$tmp/calls rc=0
  rm -f "$calls" "$tmp/count"
  : >"$calls"
  env -i PATH="$bin" CALLS="$calls" COUNT="$tmp/count" LOCKED="${LOCKED:-0}" BROKEN="${BROKEN:-}" \
    APT_LOCK_TIMEOUT="${TIMEOUT:-600}" LIBVIRTD_FAILS="${LIBVIRTD_FAILS:-}" LANG="${USER_LANG:-}" \
    "$bin/bash" "$script" "${@:6}" >"$tmp/out" 2>&1 || rc=$?
  local updates installs unbounded starts
  updates=$(grep -c '^apt-get .* update ' "$calls" || true)
  installs=$(grep -c '^apt-get .* install ' "$calls" || true)
  starts=$(grep -c '^start-libvirtd$' "$calls" || true)
  unbounded=$(grep '^apt-get ' "$calls" | grep -vc -- "-o DPkg::Lock::Timeout=${TIMEOUT:-600} " || true)
  if [ "$rc" -ne "$2" ] || [ "$updates" -ne "$3" ] || [ "$installs" -ne "$4" ] || [ "$starts" -ne "$5" ] || [ "$unbounded" -ne 0 ]; then
    echo "FAIL $name: rc $rc (want $2), $updates updates (want $3), $installs installs (want $4)," \
      "$starts libvirtd starts (want $5), $unbounded apt-get calls without the lock timeout"
    sed 's/^/  ran: /' "$calls"
    sed 's/^/  | /' "$tmp/out"
    fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}

run "free locks install at once" 0 1 1 1
LOCKED=2 run "a held lists lock is waited for" 0 3 1 1
USER_LANG=de_DE.UTF-8 LOCKED=2 run "a held lock is recognised whatever the user's language" 0 3 1 1
LOCKED=1000 TIMEOUT=1 run "a lock held past APT_LOCK_TIMEOUT fails" 1 2 0 0
BROKEN=yes run "other failures fail at once" 1 1 0 0
LIBVIRTD_FAILS=yes run "make deps goes on without libvirtd" 0 1 1 1
LIBVIRTD_FAILS=yes run "make test needs libvirtd" 1 1 1 1 --test
[ "$fails" -eq 0 ]
