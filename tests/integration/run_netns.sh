#!/bin/sh
# Runs a command inside a fresh network namespace that has only loopback (up), so a
# test's server and clients can only talk over 127.0.0.1 / ::1.
#   tests/integration/run_netns.sh /usr/bin/python3 tests/integration/test_x.py
# It never runs the command outside a namespace: if one cannot be made, it fails.
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi

# As root: a plain network namespace. Otherwise: a user namespace mapping us to root.
if [ "$(id -u)" -eq 0 ]; then
  UNSHARE="unshare -n"
else
  UNSHARE="unshare -r -n"
fi
PATH="$PATH:/usr/sbin:/sbin"
export PATH

if ! err=$($UNSHARE sh -c 'ip link set lo up' 2>&1); then
  echo "run_netns.sh: FATAL: cannot create a network namespace with '$UNSHARE':" >&2
  echo "  $err" >&2
  echo "run_netns.sh: refusing to run the test outside its own namespace." >&2
  exit 1
fi

SY_NETNS=1
export SY_NETNS
exec $UNSHARE sh -c 'ip link set lo up && exec "$@"' sh "$@"
