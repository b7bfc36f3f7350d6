#!/bin/sh
# Linux kernel CIFS client (SMB 2.1, 3.0, 3.1.1; signed and sealed) against
# DittoFS's SMB adapter, plus a kernel NFSv3 mount of the same share for
# cross-protocol coherence. Run as /test.sh in the e2e guest (host side:
# test/e2e/kernel-cifs.test.ts).
# Env: SMB_PORT, NFS_PORT, SHARE (e.g. export), EXPORT (e.g. /export),
#      RW_USER/RW_PASS (read-write grant), RO_USER/RO_PASS (read grant).
. /lib/dfs/steps.sh

SRV=$HARNESS_HOST
M=/mnt/smb
R=/mnt/ro
N=/mnt/nfs
mkdir -p $M $R $N /mnt/d
NFS_OPTS="vers=3,proto=tcp,nolock,hard,port=$NFS_PORT,mountport=$NFS_PORT,mountproto=tcp,mountvers=3,addr=$SRV"
BIG=33554432

# md5 FILE: read with 1 MiB reads. Without an oplock or lease the kernel
# client does not cache, so each read(2) is one SMB READ: busybox md5sum's
# 4 KiB reads would take 8,192 round trips for the big file.
md5() {
  dd if="$1" bs=1M 2>/dev/null | md5sum
}

# cifs_mount DIR USER PASS EXTRA_OPTS
cifs_mount() {
  mount -t cifs -o "username=$2,password=$3,port=$SMB_PORT,ip=$SRV,$4" "//$SRV/$SHARE" "$1"
  grep " $1 cifs " /proc/mounts
}

mount_311() {
  cifs_mount $M "$RW_USER" "$RW_PASS" vers=3.1.1
  grep " $M cifs .*vers=3.1.1" /proc/mounts >/dev/null || fail "not mounted with vers=3.1.1"
  ls -la $M
}

big_file() {
  pattern write 11 $BIG > /tmp/big
  want=$(md5sum < /tmp/big)
  t0=$(now)
  dd if=/tmp/big of=$M/big bs=1M 2>&1
  sync
  t1=$(now)
  drop_caches
  got=$(md5 $M/big)
  t2=$(now)
  echo "  write $(echo "$t1 $t0" | awk '{printf "%.1f", $1-$2}')s, read $(echo "$t2 $t1" | awk '{printf "%.1f", $1-$2}')s"
  expect_eq "$got" "$want" "md5 of the 32 MiB file read back"
  expect_eq "$(stat -c %s $M/big)" $BIG "size of big"
  echo "$want" > /tmp/big.md5
}

small_files() {
  mkdir $M/many
  t0=$(now)
  # One touch for all names (no fork per file: the guest runs without KVM).
  (cd $M/many && seq 0 999 | sed 's/^/f/' | xargs touch)
  for i in 0 1 500 777 999; do
    echo "file $i" > $M/many/f$i
  done
  t1=$(now)
  drop_caches
  expect_eq "$(ls $M/many | wc -l)" 1000 "entries listed"
  echo "  create $(echo "$t1 $t0" | awk '{printf "%.1f", $1-$2}')s, list $(echo "$(now) $t1" | awk '{printf "%.1f", $1-$2}')s"
  expect_eq "$(cat $M/many/f777)" "file 777" "content of f777"
  expect_eq "$(stat -c %s $M/many/f778)" 0 "size of f778"
  expect_eq "$(ls $M/many | sort | head -n 1)" f0 "first name"
  expect_eq "$(ls $M/many | sort | tail -n 1)" f999 "last name"
}

mkdir_p() {
  mkdir -p $M/a/b/c/d/e/f
  drop_caches
  test -d $M/a/b/c/d/e/f || fail "a/b/c/d/e/f is not a directory"
  echo deep > $M/a/b/c/d/e/f/leaf
  expect_eq "$(cat $M/a/b/c/d/e/f/leaf)" deep "leaf content"
}

renames() {
  echo one > $M/r1
  mv $M/r1 $M/r2
  test ! -e $M/r1 || fail "r1 still there after rename"
  expect_eq "$(cat $M/r2)" one "renamed file content"
  echo two > $M/r3
  mv -f $M/r2 $M/r3
  drop_caches
  test ! -e $M/r2 || fail "r2 still there after rename over r3"
  expect_eq "$(cat $M/r3)" one "file renamed over an existing file"
  mv $M/a $M/a2
  drop_caches
  test ! -e $M/a || fail "directory a still there"
  expect_eq "$(cat $M/a2/b/c/d/e/f/leaf)" deep "content under the renamed directory"
}

removes() {
  echo gone > $M/gone
  rm $M/gone
  test ! -e $M/gone || fail "gone still exists"
  rm -r $M/a2
  drop_caches
  test ! -e $M/a2 || fail "a2 still exists"
  expect_fail "rmdir of a non-empty directory" rmdir $M/many
}

truncates() {
  pattern write 3 100000 > $M/t
  truncate -s 1000 $M/t
  drop_caches
  expect_eq "$(stat -c %s $M/t)" 1000 "size after shrinking"
  truncate -s 5000 $M/t
  drop_caches
  expect_eq "$(stat -c %s $M/t)" 5000 "size after growing"
  expect_eq "$(tail -c 4000 $M/t | tr -d '\0' | wc -c)" 0 "the grown part reads as zeros"
  expect_eq "$(head -c 1000 $M/t | md5sum)" "$(pattern write 3 1000 | md5sum)" "the kept part"
  : > $M/t
  expect_eq "$(stat -c %s $M/t)" 0 "size after O_TRUNC"
}

appends() {
  printf 'first\n' > $M/log
  printf 'second\n' >> $M/log
  printf 'third\n' >> $M/log
  drop_caches
  expect_eq "$(cat $M/log)" "$(printf 'first\nsecond\nthird')" "appended content"
  expect_eq "$(stat -c %s $M/log)" 19 "size after appends"
}

stat_times() {
  echo 12345 > $M/st
  drop_caches
  expect_eq "$(stat -c %s $M/st)" 6 "size"
  m=$(stat -c %Y $M/st)
  t=$(date +%s)
  d=$((t - m))
  [ ${d#-} -lt 120 ] || fail "mtime $m is not close to the guest's clock $t"
  touch -d '2021-02-03 04:05:06' $M/st
  drop_caches
  expect_eq "$(stat -c %Y $M/st)" "$(date -d '2021-02-03 04:05:06' +%s)" "mtime set by touch -d"
  stat $M/st
}

read_only_grant() {
  cifs_mount $R "$RO_USER" "$RO_PASS" vers=3.1.1
  expect_eq "$(cat $R/log | head -n 1)" first "reading with the read grant"
  expect_fail "create with the read grant" sh -c "echo no > $R/denied"
  grep -Eqi 'permission denied|read-only' /tmp/expect_fail.err || fail "unexpected error"
  expect_fail "append with the read grant" sh -c "echo no >> $R/log"
  expect_fail "mkdir with the read grant" mkdir $R/nodir
  expect_fail "rm with the read grant" rm $R/log
  test -e $M/log || fail "log removed through the read-only mount"
  test ! -e $M/denied || fail "denied was created"
  umount $R
}

remount() {
  umount $M
  grep -q " $M cifs " /proc/mounts && fail "still mounted"
  cifs_mount $M "$RW_USER" "$RW_PASS" vers=3.1.1
  expect_eq "$(md5 $M/big)" "$(cat /tmp/big.md5)" "big after remount"
  expect_eq "$(ls $M/many | wc -l)" 1000 "entries after remount"
  expect_eq "$(cat $M/log)" "$(printf 'first\nsecond\nthird')" "log after remount"
}

cross_protocol() {
  mount -t nfs -o "$NFS_OPTS" "$SRV:$EXPORT" $N
  expect_eq "$(md5 $N/big)" "$(cat /tmp/big.md5)" "big read over NFS"
  expect_eq "$(cat $N/log)" "$(printf 'first\nsecond\nthird')" "log read over NFS"
  # written over NFS (as alice's uid: the server squashes guest root), read over SMB
  runas 1000 1000 sh -c "printf 'from nfs\\n' > $N/x"
  sync
  drop_caches
  expect_eq "$(cat $M/x)" "from nfs" "NFS write seen over SMB"
  # appended over SMB, read over NFS
  printf 'from smb\n' >> $M/x
  sync
  drop_caches
  expect_eq "$(cat $N/x)" "$(printf 'from nfs\nfrom smb')" "SMB append seen over NFS"
  expect_eq "$(ls $N/many | wc -l)" 1000 "entries over NFS"
}

# A rename made over NFS must be seen by the SMB client, which holds a read
# and handle lease on the share root: the NFS RENAME breaks it first.
nfs_rename_seen_over_smb() {
  runas 1000 1000 mv $N/x $N/y
  drop_caches
  expect_eq "$(cat $M/y | tail -n 1)" "from smb" "renamed file over SMB"
  test ! -e $M/x || fail "x still visible over SMB after the NFS rename"
}

dialect() { # DIALECT EXTRA SEED
  umount /mnt/d 2>/dev/null || true
  cifs_mount /mnt/d "$RW_USER" "$RW_PASS" "vers=$1${2:+,$2}"
  grep " /mnt/d cifs .*vers=$1" /proc/mounts >/dev/null || fail "not vers=$1"
  # The client lists seal among the options, not sign: the host checks signing in the server's log.
  [ "$2" != seal ] || grep " /mnt/d cifs .*seal" /proc/mounts >/dev/null || fail "no seal in the mount options"
  pattern write $3 3000000 > /mnt/d/dialect-$1-$2
  mkdir /mnt/d/dir-$1-$2
  mv /mnt/d/dialect-$1-$2 /mnt/d/dir-$1-$2/f
  drop_caches
  pattern check $3 3000000 < /mnt/d/dir-$1-$2/f
  expect_eq "$(md5 /mnt/d/big)" "$(cat /tmp/big.md5)" "big over vers=$1 $2"
  rm -r /mnt/d/dir-$1-$2
  umount /mnt/d
}

step mount-3.1.1 mount_311
step big-file-32mib big_file
step small-files-1000 small_files
step mkdir-p mkdir_p
step rename renames
step rm removes
step truncate truncates
step append appends
step stat-size-mtime stat_times
step read-only-grant read_only_grant
step remount remount
step cross-protocol-nfs cross_protocol
step nfs-rename-seen-over-smb nfs_rename_seen_over_smb
step nfs-unmount umount $N
step vers-2.1-sign dialect 2.1 sign 21
step vers-3.0-sign dialect 3.0 sign 30
step vers-3.1.1-seal dialect 3.1.1 seal 311
step unmount umount $M
exit $STEPS_FAILED
