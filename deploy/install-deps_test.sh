#!/usr/bin/env bash
# Tests install-deps.sh against a fake apt-get on a PATH where qemu-img is missing, so nothing
# on the host is installed or locked: every apt-get call is told to wait for dpkg's lock, an
# `apt-get update` that finds the package lists locked is retried until the lock is free (or
# APT_LOCK_TIMEOUT runs out), and any other failure fails at once. `make test` runs it.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/install-deps.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/bin
mkdir "$bin"
ln -s "$(command -v bash)" "$bin/bash"
ln -s "$(command -v sleep)" "$bin/sleep"
printf '#!/bin/bash\necho 0\n' >"$bin/id" # root, as far as the script can tell
# The fake apt-get logs its arguments; `update` reports the lists' lock held for the first
# $LOCKED calls, or fails otherwise when $BROKEN is set.
cat >"$bin/apt-get" <<'FAKE'
#!/bin/bash
echo "$*" >>"$CALLS"
if [[ " $* " == *" update "* ]]; then
  n=0 # only builtins here: the PATH has nothing else
  [ ! -e "$COUNT" ] || read -r n <"$COUNT"
  n=$((n + 1))
  echo "$n" >"$COUNT"
  if [ "$n" -le "$LOCKED" ]; then
    echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)" >&2
    exit 100
  fi
  if [ -n "$BROKEN" ]; then
    echo "E: The repository is not signed." >&2
    exit 100
  fi
fi
FAKE
chmod +x "$bin/id" "$bin/apt-get"

fails=0
# run NAME LOCKED BROKEN TIMEOUT WANT_RC WANT_UPDATES WANT_INSTALLS
run() {
  local name=$1 calls=$tmp/$1.calls rc=0
  : >"$calls"
  env -i PATH="$bin" CALLS="$calls" COUNT="$tmp/$1.count" LOCKED="$2" BROKEN="$3" APT_LOCK_TIMEOUT="$4" \
    "$bin/bash" "$script" >"$tmp/$name.out" 2>&1 || rc=$?
  local updates installs unbounded
  updates=$(grep -c ' update ' "$calls" || true)
  installs=$(grep -c ' install ' "$calls" || true)
  unbounded=$(grep -vc -- "-o DPkg::Lock::Timeout=$4 " "$calls" || true)
  if [ "$rc" -ne "$5" ] || [ "$updates" -ne "$6" ] || [ "$installs" -ne "$7" ] || [ "$unbounded" -ne 0 ]; then
    echo "FAIL $name: rc $rc (want $5), $updates updates (want $6), $installs installs (want $7), $unbounded calls without the lock timeout"
    sed 's/^/  apt-get /' "$calls"
    sed 's/^/  | /' "$tmp/$name.out"
    fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}

run "free locks install at once" 0 "" 600 0 1 1
run "a held lists lock is waited for" 2 "" 600 0 3 1
run "a lock held past APT_LOCK_TIMEOUT fails" 1000 "" 1 1 2 0
run "other failures fail at once" 0 yes 600 1 1 0
[ "$fails" -eq 0 ]
