#!/bin/sh
# Kernel NLM client workload (fcntl locks over NFSv3), run as /test.sh in the
# e2e guest on a TAP network (see test/e2e/kernel-nlm.test.ts). rpcbind and
# rpc.statd run in the guest; the server calls back (NLM_GRANTED, SM_NOTIFY).
#
# Steps that need the host (server restart, SM_NOTIFY from "another host")
# print "DFS-ACTION <name>" and wait until the host connects to the guest's
# port given by `await_host` (the host's signal that its action is done).
# Env: NFS_PORT, EXPORT; HARNESS_HOST is the server address.
. /lib/dfs/steps.sh
. /lib/dfs/statd.sh

SRV=$HARNESS_HOST
OPTS="vers=3,proto=tcp,port=$NFS_PORT,mountport=$NFS_PORT,mountproto=tcp,mountvers=3,addr=$SRV"
M=/mnt/nlm
F=$M/lockfile
mkdir -p $M

# await_host NAME PORT: ask the host to act, then wait for its signal.
await_host() {
  echo "DFS-ACTION $1 $2"
  echo done | timeout 120 nc -l -p "$2" > /dev/null
}

# expect_line OUTPUT PATTERN WHAT
expect_line() {
  echo "$1" | grep -qx "$2" || fail "$3: expected '$2', got: $(echo "$1" | tr '\n' '|')"
}

do_mount() {
  mount -t nfs -o "$OPTS" "$SRV:$EXPORT" $M
  grep " $M nfs " /proc/mounts
  : > $F
}

setlk_conflict() {
  rm -f /tmp/c.*
  locktool $F setlk w 0 100 touch /tmp/c.held waitfor /tmp/c.done 60 > /tmp/c.a &
  out=$(locktool $F waitfor /tmp/c.held 30 setlk w 50 10 setlk r 99 1 setlk r 100 10 setlk w 500 0)
  touch /tmp/c.done
  wait
  echo "$out"
  expect_line "$out" "setlk denied EAGAIN" "overlapping write lock"
  [ "$(echo "$out" | grep -c 'setlk denied EAGAIN')" = 2 ] || fail "both overlapping locks must be refused"
  [ "$(echo "$out" | grep -c '^setlk ok$')" = 2 ] || fail "locks after the held range must be granted"
  expect_line "$(cat /tmp/c.a)" "setlk ok" "holder's lock"
}

setlkw_granted() {
  rm -f /tmp/w.*
  locktool $F setlk w 0 100 touch /tmp/w.held waitfor /tmp/w.waiting 30 sleep 2 unlock 0 100 sleep 1 > /tmp/w.a &
  out=$(locktool $F waitfor /tmp/w.held 30 touch /tmp/w.waiting setlkw w 10 10)
  wait
  echo "$out"
  ms=$(echo "$out" | awk '$1 == "setlkw" && $2 == "ok" { print $3 }')
  [ -n "$ms" ] || fail "F_SETLKW did not succeed"
  # It must have waited for the holder (2 s), and been woken by the server's
  # NLM_GRANTED callback, not by the client's 30 s re-poll.
  [ "$ms" -ge 1500 ] || fail "F_SETLKW returned after ${ms} ms: it did not wait for the holder"
  [ "$ms" -lt 20000 ] || fail "F_SETLKW took ${ms} ms: no NLM_GRANTED callback"
}

getlk_holder() {
  rm -f /tmp/g.*
  locktool $F pid setlk w 10 20 setlk r 200 5 touch /tmp/g.held waitfor /tmp/g.done 120 > /tmp/g.a &
  out=$(locktool $F waitfor /tmp/g.held 30 getlk w 0 0 getlk w 100 0 getlk r 0 100 getlk w 30 10)
  echo "$out"
  holder=$(awk '$1 == "pid" { print $2 }' /tmp/g.a)
  # A holder on this host: the kernel answers from its own lock table, with the holder's pid.
  expect_line "$(echo "$out" | grep '^getlk' | sed -n 1p)" "getlk w 10 20 $holder" "write lock of this host's holder"
  expect_line "$(echo "$out" | grep '^getlk' | sed -n 2p)" "getlk r 200 5 $holder" "read lock from 100 on"
  expect_line "$(echo "$out" | grep '^getlk' | sed -n 3p)" "getlk w 10 20 $holder" "a read lock meets the write lock"
  expect_line "$(echo "$out" | grep '^getlk' | sed -n 4p)" "getlk unlocked" "range between the locks"
  # A holder on another host (the probe: svid 4242, 1000+50): only the server
  # knows it, and NLM TEST reports it back.
  await_host probe-lock 7004
  out=$(locktool $F getlk w 900 0 getlk r 1049 1 getlk w 1050 0)
  echo "$out"
  echo "$out" | sed -n 1p | grep -Eq '^getlk w 1000 50 -?4242$' || fail "remote holder: got $(echo "$out" | sed -n 1p)"
  echo "$out" | sed -n 2p | grep -Eq '^getlk w 1000 50 -?4242$' || fail "remote holder for a read lock"
  expect_line "$(echo "$out" | sed -n 3p)" "getlk unlocked" "after the remote lock"
  await_host probe-unlock 7005
  expect_line "$(locktool $F getlk w 900 0)" "getlk unlocked" "after the remote holder unlocked"
  touch /tmp/g.done
  wait
}

unlock_middle() {
  rm -f /tmp/s.*
  locktool $F setlk w 0 300 unlock 100 100 touch /tmp/s.held waitfor /tmp/s.done 60 > /tmp/s.a &
  out=$(locktool $F waitfor /tmp/s.held 30 getlk w 0 0 getlk w 100 100 getlk w 150 0 setlk w 100 100 setlk w 99 1 setlk w 200 1)
  touch /tmp/s.done
  wait
  echo "$out"
  echo "$out" | grep '^getlk' | sed -n 1p | grep -q '^getlk w 0 100 ' || fail "first piece must be 0+100"
  expect_line "$(echo "$out" | grep '^getlk' | sed -n 2p)" "getlk unlocked" "the unlocked middle"
  echo "$out" | grep '^getlk' | sed -n 3p | grep -q '^getlk w 200 100 ' || fail "second piece must be 200+100"
  [ "$(echo "$out" | grep '^setlk' | tr '\n' '|')" = "setlk ok|setlk denied EAGAIN|setlk denied EAGAIN|" ] ||
    fail "middle must be free and both pieces held"
}

restart_reclaim() {
  rm -f /tmp/r.*
  locktool $F setlk w 0 100 touch /tmp/r.held waitfor /tmp/r.release 180 unlock 0 100 > /tmp/r.a &
  locktool $F waitfor /tmp/r.held 30 > /dev/null
  await_host restart 7001
  # The server restarted and is in grace; it told this host's statd (SM_NOTIFY),
  # so the kernel reclaimed the lock: a conflicting lock is refused (the
  # holder's lock survived the restart), and granted once the holder unlocks.
  out=$(locktool $F setlk w 50 10)
  echo "after restart: $out"
  expect_line "$out" "setlk denied EAGAIN" "conflicting lock after the restart"
  await_host after-grace 7002
  touch /tmp/r.release
  wait
  cat /tmp/r.a
  out=$(locktool $F setlk w 50 10)
  expect_line "$out" "setlk ok" "lock after the holder unlocked"
}

notify_releases() {
  rm -f /tmp/n.*
  locktool $F setlk w 0 100 touch /tmp/n.held waitfor /tmp/n.release 120 > /tmp/n.a &
  locktool $F waitfor /tmp/n.held 30 > /dev/null
  # The host checks the lock is held, tells the server this host rebooted
  # (SM_NOTIFY, new state) and checks, as another host, that the lock is gone
  # although its holder still runs. (This host cannot see that itself: the
  # kernel refuses a conflict with its own lock table before asking the server.)
  await_host notify 7003
  touch /tmp/n.release
  wait
  expect_line "$(cat /tmp/n.a)" "setlk ok" "the holder's lock"
}

do_unmount() {
  umount $M
  ! grep -q " $M nfs " /proc/mounts
}

step statd statd_up dfs-guest
step mount do_mount
step setlk-conflict setlk_conflict
step setlkw-granted setlkw_granted
step getlk-holder getlk_holder
step unlock-middle unlock_middle
step restart-reclaim restart_reclaim
step notify-releases notify_releases
step unmount do_unmount
exit $STEPS_FAILED
