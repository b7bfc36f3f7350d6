#!/bin/sh
# Kernel NFSv3 client against shares changed live through dfsctl, run as
# /test.sh in the e2e guest (host side: test/e2e/kernel-controlplane.test.ts).
#
#   1. mount /live (created with dfsctl before the guest booted), do some I/O;
#   2. print "PHASE grant-read": the host grants the guest's root (the
#      control-plane user admin, uid 0) only `read` on /live; the guest keeps
#      trying to create files until the server refuses (EROFS or EACCES);
#   3. unmount and mount again, print "PHASE restrict-clients": the host
#      limits /live's allowedClients to a network the guest is not in; the
#      guest keeps reading until NFS calls are refused (EACCES), unmounts,
#      and checks that MNT is refused too;
#   4. print "PHASE allow-clients": the host allows the guest's network (as
#      the server sees it); the guest keeps trying until it mounts and reads;
#   5. unmount, print "PHASE remove": the host deletes /live with dfsctl; the
#      guest keeps trying to mount until MNT is refused.
# Env: NFS_PORT, EXPORT. `nolock`: no NLM needed here.
. /lib/dfs/steps.sh

SRV=$HARNESS_HOST
OPTS="vers=3,proto=tcp,nolock,hard,port=$NFS_PORT,mountport=$NFS_PORT,mountproto=tcp,mountvers=3,addr=$SRV"
M=/mnt/live
mkdir -p $M

mount_share() {
  mount -t nfs -o "$OPTS" "$SRV:$EXPORT" $M
  grep " $M nfs " /proc/mounts
}

io() {
  printf 'hello, control plane\n' > $M/hello
  pattern write 7 2000000 > $M/data
  sync
  drop_caches
  expect_eq "$(cat $M/hello)" 'hello, control plane' "content of hello"
  pattern check 7 2000000 < $M/data
  ls -l $M
}

wait_read_only() {
  i=0
  while (printf 'probe\n' > $M/probe-$i) 2>/tmp/probe.err; do
    i=$((i + 1))
    [ $i -lt 150 ] || fail "creating files still works 30 s after the read-only grant"
    sleep 0.2
  done
  echo "  refused after $i probes: $(cat /tmp/probe.err)"
  grep -Eqi 'read-only|permission denied' /tmp/probe.err || fail "refused with an unexpected error"
  drop_caches
  expect_eq "$(cat $M/hello)" 'hello, control plane' "reading still works with the read grant"
  if (printf 'more\n' >> $M/hello) 2>/tmp/append.err; then
    sync
    drop_caches
    expect_eq "$(cat $M/hello)" 'hello, control plane' "an append with the read grant must not reach the server"
  fi
  echo "  append: $(cat /tmp/append.err)"
}

wait_unmountable() {
  i=0
  while mount -t nfs -o "$OPTS" "$SRV:$EXPORT" $M 2>/tmp/mount.err; do
    umount $M
    i=$((i + 1))
    [ $i -lt 60 ] || fail "the share can still be mounted 30 s after $1"
    sleep 0.5
  done
  echo "  mount refused after $i tries: $(cat /tmp/mount.err)"
}

# A handle works without MNT, so the network rule must hold for NFS calls too.
wait_nfs_refused() {
  i=0
  while drop_caches && cat $M/hello >/dev/null 2>/tmp/read.err; do
    i=$((i + 1))
    [ $i -lt 150 ] || fail "reading still works 30 s after the client network was excluded"
    sleep 0.2
  done
  echo "  refused after $i reads: $(cat /tmp/read.err)"
  grep -qi 'permission denied' /tmp/read.err || fail "refused with an unexpected error"
}

refused_outside_network() {
  wait_nfs_refused
  umount $M
  wait_unmountable "the client network was excluded"
  grep -qi 'permission denied' /tmp/mount.err || fail "MNT refused with an unexpected error"
}

wait_mountable() {
  i=0
  until mount -t nfs -o "$OPTS" "$SRV:$EXPORT" $M 2>/tmp/mount.err; do
    i=$((i + 1))
    [ $i -lt 60 ] || fail "the share is still refused 30 s after the client network was allowed: $(cat /tmp/mount.err)"
    sleep 0.5
  done
  expect_eq "$(cat $M/hello)" 'hello, control plane' "content of hello once allowed again"
  umount $M
}

step mount mount_share
step io io
echo "PHASE grant-read"
step read-only-grant wait_read_only
step unmount umount $M
step remount mount_share
echo "PHASE restrict-clients"
step other-network-refused refused_outside_network
echo "PHASE allow-clients"
step allowed-network-mounts wait_mountable
echo "PHASE remove"
step removed-share-not-mountable wait_unmountable "it was deleted"
exit $STEPS_FAILED
