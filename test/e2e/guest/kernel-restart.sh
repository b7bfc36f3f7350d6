#!/bin/sh
# Kernel NFSv3 client across server restarts, run as /test.sh in the e2e guest
# (host side: test/e2e/kernel-restart.test.ts).
#
# The share stays mounted (hard mount) while the host restarts the server:
#   1. write a tree, record checksums and attributes, print "PHASE sigterm";
#      the host stops the server with SIGTERM, starts it again on the same
#      port and data, and creates /restarted-sigterm through its own client.
#   2. the guest keeps looking for that marker: its calls block while the
#      server is down and go on when it is back. Then it checks, first
#      through handles it held across the restart (an open file, its cwd),
#      then through fresh lookups, that every byte and attribute is as before.
#   3. write more with fsync (COMMIT) and O_DIRECT (FILE_SYNC writes), print
#      "PHASE sigkill"; the host SIGKILLs and restarts; the guest checks again.
# Env: NFS_PORT, EXPORT. `nolock`: no NLM needed here.
. /lib/dfs/steps.sh

SRV=$HARNESS_HOST
OPTS="vers=3,proto=tcp,nolock,hard,port=$NFS_PORT,mountport=$NFS_PORT,mountproto=tcp,mountvers=3,addr=$SRV"
M=/mnt/r
D=$M/data
mkdir -p $M /tmp/ref

# Checksums and attributes of everything under $D (names sorted): the
# inode number is the server's fileid, so it must survive restarts too.
snapshot() {
  (cd $D && find . | sort | while read -r f; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then sum=$(md5sum < "$f" | cut -d' ' -f1); else sum=-; fi
    echo "$f $(stat -c '%F %s %a %u %g %Y %h %i' "$f") $sum"
  done)
}

mount_share() {
  mount -t nfs -o "$OPTS" "$SRV:$EXPORT" $M
  grep " $M nfs " /proc/mounts
}

write_tree() {
  mkdir -p $D/a/b/c $D/empty
  pattern write 11 3000000 > $D/a/big
  pattern write 12 70000 > $D/a/b/c/deep
  printf 'hello, restart\n' > $D/small
  : > $D/zero
  ln $D/small $D/a/small-link
  ln -s ../small $D/a/sym
  dd if=/dev/zero of=$D/sparse bs=1 count=1 seek=5000000 2>/dev/null
  chmod 0640 $D/small
  chmod 2750 $D/a/b
  chown 1000:1000 $D/a/big
  chown 1001:50 $D/a/b/c/deep
  touch -d '2001-02-03 04:05:06' $D/zero
  sync
  snapshot > /tmp/ref/tree
  wc -l < /tmp/ref/tree
}

# Block (hard mount) until the host says the server is back: each try drops
# the dentry cache so the lookup goes to the server.
wait_marker() {
  t0=$(now)
  until [ -e "$M/restarted-$1" ]; do
    echo 2 > /proc/sys/vm/drop_caches
    sleep 0.2
  done
  echo "RESUMED $1 after $(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }')s"
}

held_handles() { # FD
  # The fd was opened and the cwd entered before the first restart: both use the old handles.
  echo 3 > /proc/sys/vm/drop_caches
  got=$(eval "md5sum <&$1" | cut -d' ' -f1)
  want=$(grep '^\./a/big ' /tmp/ref/tree | awk '{ print $NF }')
  expect_eq "$got" "$want" "md5 of a/big read through the fd opened before the restart"
  expect_eq "$(ls | sort | tr '\n' ' ')" "b big small-link sym " "listing of the cwd (a) held across the restart"
  expect_eq "$(stat -c '%s %i' big)" "$(stat -c '%s %i' $D/a/big)" "attributes through the old cwd"
  cat b/c/deep > /dev/null
}

same_tree() {
  echo 3 > /proc/sys/vm/drop_caches
  snapshot > /tmp/now
  if ! cmp -s /tmp/ref/tree /tmp/now; then
    diff /tmp/ref/tree /tmp/now || true
    fail "files or attributes differ after the restart"
  fi
  wc -l < /tmp/now
}

work_after_restart() {
  printf 'new after restart\n' > $D/after-$1
  mv $D/after-$1 $D/a/after-$1
  rm $D/a/after-$1
  mkdir $D/dir-$1 && rmdir $D/dir-$1
}

write_stable() {
  # conv=fsync: WRITEs then COMMIT before dd exits.
  pattern write 21 1500000 > /tmp/ref/committed
  dd if=/tmp/ref/committed of=$D/committed bs=64k conv=fsync 2>/dev/null
  # O_DIRECT: each 64 KiB write(2) is one WRITE, which Linux sends FILE_SYNC.
  pattern write 22 655360 > /tmp/ref/filesync
  dd if=/tmp/ref/filesync of=$D/filesync bs=64k oflag=direct 2>/dev/null
  mkdir $D/made-before-kill
  mv $D/small $D/a/b/moved-before-kill
  chmod 0600 $D/a/b/moved-before-kill
  rm /tmp/ref/committed /tmp/ref/filesync
  sync
  snapshot > /tmp/ref/tree
}

step mount mount_share
step write-tree write_tree
# One descriptor per restart (reading one to its end leaves nothing for the next).
exec 3< $D/a/big 4< $D/a/big
cd $D/a || exit 1
echo "PHASE sigterm"
step resume-after-sigterm wait_marker sigterm
step held-handles-after-sigterm held_handles 3
step tree-after-sigterm same_tree
step work-after-sigterm work_after_restart sigterm
step write-stable write_stable
echo "PHASE sigkill"
step resume-after-sigkill wait_marker sigkill
step held-handles-after-sigkill held_handles 4
step tree-after-sigkill same_tree
step work-after-sigkill work_after_restart sigkill
exec 3<&- 4<&-
cd /
step unmount umount $M
exit $STEPS_FAILED
