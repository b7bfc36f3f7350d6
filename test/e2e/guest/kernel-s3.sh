#!/bin/sh
# Kernel NFSv3 client on an S3-backed share, run as /test.sh in the e2e guest
# (host side: test/e2e/kernel-s3.test.ts).
#   1. write BIG_MIB MiB of seeded data with dd conv=fsync (WRITEs + COMMIT;
#      the share is in `remote` durability mode, so COMMIT returns once every
#      chunk is in the object store), print "PHASE restart";
#   2. the host stops the server, deletes its local chunk tier and starts it
#      again; it creates /restarted-restart when the server is back;
#   3. read the file back (every chunk now comes cold from S3) and compare
#      its md5 with the stream's.
# Env: NFS_PORT, EXPORT, BIG_MIB.
. /lib/dfs/steps.sh

SRV=$HARNESS_HOST
OPTS="vers=3,proto=tcp,nolock,hard,port=$NFS_PORT,mountport=$NFS_PORT,mountproto=tcp,mountvers=3,addr=$SRV"
M=/mnt/s3
SIZE=$((BIG_MIB * 1048576))
mkdir -p $M

write_big() {
  t0=$(now)
  pattern write 256 $SIZE | md5sum | cut -d' ' -f1 > /tmp/want
  t1=$(now)
  pattern write 256 $SIZE | dd of=$M/big bs=1M conv=fsync 2>/dev/null
  t2=$(now)
  expect_eq "$(stat -c %s $M/big)" $SIZE "size of the big file"
  echo "  timing (s since boot): md5 of the stream $t0..$t1, write+COMMIT ..$t2"
}

wait_marker() {
  until [ -e "$M/restarted-$1" ]; do
    echo 2 > /proc/sys/vm/drop_caches
    sleep 0.2
  done
}

read_cold() {
  drop_caches
  t0=$(now)
  got=$(md5sum < $M/big | cut -d' ' -f1)
  echo "  timing (s since boot): cold read+md5 $t0..$(now)"
  if [ "$got" != "$(cat /tmp/want)" ]; then
    pattern check 256 $SIZE < $M/big
    fail "md5 after the restart: got $got, expected $(cat /tmp/want)"
  fi
}

step mount mount -t nfs -o "$OPTS" "$SRV:$EXPORT" $M
step write-big write_big
echo "PHASE restart"
step resume-after-restart wait_marker restart
step read-back-cold read_cold
step unmount umount $M
exit $STEPS_FAILED
