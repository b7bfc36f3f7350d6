#!/bin/sh
# Kernel NFSv3 client against shares changed live through dfsctl, run as
# /test.sh in the e2e guest (host side: test/e2e/kernel-controlplane.test.ts).
#
#   1. mount /live (created with dfsctl before the guest booted), do some I/O;
#   2. print "PHASE grant-read": the host grants the guest's root (the
#      control-plane user admin, uid 0) only `read` on /live; the guest keeps
#      trying to create files until the server refuses (EROFS or EACCES);
#   3. unmount, print "PHASE remove": the host deletes /live with dfsctl; the
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
    [ $i -lt 60 ] || fail "the share can still be mounted 30 s after it was deleted"
    sleep 0.5
  done
  echo "  mount refused after $i tries: $(cat /tmp/mount.err)"
}

step mount mount_share
step io io
echo "PHASE grant-read"
step read-only-grant wait_read_only
step unmount umount $M
echo "PHASE remove"
step removed-share-not-mountable wait_unmountable
exit $STEPS_FAILED
