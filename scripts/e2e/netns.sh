#!/bin/sh
# Usage: netns.sh up NAME [HOST_CIDR] [TAP]   (defaults 192.168.77.1/24, tap0)
#        netns.sh down NAME
#
# A private network namespace with a TAP device, for e2e tests that need the
# server to open connections back to the guest (NLM_GRANTED, SM_NOTIFY,
# NFSv4.0 callbacks): with slirp the guest is unreachable from the host.
# Run the server with `ip netns exec NAME ...` and the guest with
# `NET=tap NETNS=NAME test/e2e/vm/run-guest.sh ...`; all test traffic stays
# inside the namespace. Needs root (CAP_NET_ADMIN). `up` replaces a stale
# namespace of the same name; `down` of a missing namespace succeeds.
set -eu
cmd=${1:-}
NAME=${2:-}
[ -n "$NAME" ] || { echo "usage: netns.sh up|down NAME [HOST_CIDR] [TAP]" >&2; exit 2; }
case $cmd in
  up)
    HOST_CIDR=${3:-192.168.77.1/24}
    TAP=${4:-tap0}
    ip netns del "$NAME" 2>/dev/null || true
    ip netns add "$NAME"
    ip netns exec "$NAME" ip link set lo up
    ip netns exec "$NAME" ip tuntap add "$TAP" mode tap
    ip netns exec "$NAME" ip addr add "$HOST_CIDR" dev "$TAP"
    ip netns exec "$NAME" ip link set "$TAP" up
    ;;
  down)
    ip netns del "$NAME" 2>/dev/null || true
    ;;
  *)
    echo "usage: netns.sh up|down NAME [HOST_CIDR] [TAP]" >&2
    exit 2
    ;;
esac
