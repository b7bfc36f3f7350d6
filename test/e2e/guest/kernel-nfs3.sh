#!/bin/sh
# Kernel NFSv3 client workload, run as /test.sh in the e2e guest.
#
# Two shares of one server (see test/e2e/kernel-nfs3.test.ts):
#   $EXPORT_OPEN    rootSquash: false  POSIX steps; guest root is server root,
#                                      so chown and "root made it" ownership work
#   $EXPORT_SQUASH  rootSquash: true   guest root must become 65534 (nobody)
# Env (from /etc/harness.env): NFS_PORT, MOUNT_PORT (default NFS_PORT),
# EXPORT_OPEN, EXPORT_SQUASH;
# HARNESS_HOST is the server address as the guest sees it.
# `nolock`: locking is tested in kernel-nlm.test.ts (it needs statd in the
# guest and a path back for callbacks); this suite checks file operations.
. /lib/dfs/steps.sh

SRV=$HARNESS_HOST
OPTS="vers=3,proto=tcp,nolock,port=$NFS_PORT,mountport=${MOUNT_PORT:-$NFS_PORT},mountproto=tcp,mountvers=3,addr=$SRV"
M=/mnt/open
S=/mnt/squash
mkdir -p $M $S /tmp/ref

# Unprivileged identities in the guest; runas sets them without /etc/passwd.
U1="runas 1000 1000"
U2="runas 1001 1001"

do_mount() { # EXPORT DIR
  mount -t nfs -o "$OPTS" "$SRV:$1" "$2"
  grep " $2 nfs " /proc/mounts
}

mount_open() {
  do_mount "$EXPORT_OPEN" $M
  # a fresh server's share is empty
  expect_eq "$(ls -A $M | wc -l)" 0 "entries in a new share"
}

# 64 MiB of seeded pseudo-random data (tools/pattern.c: /dev/urandom costs
# ~6 s under TCG), checksummed in tmpfs first, written with dd, and read back
# from the server after dropping the client's cache. On a mismatch the
# pattern checker names the first bad offset.
big_file() {
  t0=$(now)
  pattern write 64 67108864 > /tmp/ref/big
  want=$(md5sum < /tmp/ref/big)
  t1=$(now)
  dd if=/tmp/ref/big of=$M/big bs=1M conv=fsync 2>/dev/null
  t2=$(now)
  rm /tmp/ref/big
  drop_caches
  expect_eq "$(stat -c %s $M/big)" 67108864 "size of the 64 MiB file"
  got=$(md5sum < $M/big)
  echo "  timing (s since boot): generate+md5 $t0..$t1, write+fsync ..$t2, read+md5 ..$(now)"
  if [ "$got" != "$want" ]; then
    pattern check 64 67108864 < $M/big
    fail "md5 of the 64 MiB file read back: got $got, expected $want"
  fi
}

append() {
  printf 'hello' > $M/greeting
  printf ', world\n' >> $M/greeting
  drop_caches
  expect_eq "$(cat $M/greeting)" "hello, world" "text after append"
  # appends at an unaligned offset, across block boundaries
  dd if=/dev/urandom of=/tmp/ref/app bs=1000 count=100 2>/dev/null
  cp /tmp/ref/app $M/app
  dd if=/dev/urandom of=/tmp/ref/more bs=1000 count=1100 2>/dev/null
  cat /tmp/ref/more >> /tmp/ref/app
  cat /tmp/ref/more >> $M/app
  drop_caches
  expect_eq "$(stat -c %s $M/app)" 1200000 "size after appending"
  cmp /tmp/ref/app $M/app || fail "appended file differs"
}

# The same operations on a tmpfs copy give the expected bytes: truncating
# down drops data, truncating up and writing past EOF leave holes of zeros.
truncate_file() {
  dd if=/dev/urandom of=/tmp/ref/t bs=1M count=3 2>/dev/null
  cp /tmp/ref/t $M/t
  truncate -s 1000000 /tmp/ref/t
  truncate -s 1000000 $M/t
  drop_caches
  expect_eq "$(stat -c %s $M/t)" 1000000 "size after truncating down"
  cmp /tmp/ref/t $M/t || fail "content after truncating down"
  truncate -s 5000000 /tmp/ref/t
  truncate -s 5000000 $M/t
  drop_caches
  expect_eq "$(stat -c %s $M/t)" 5000000 "size after truncating up"
  cmp /tmp/ref/t $M/t || fail "content after truncating up (hole must read as zeros)"
  expect_eq "$(dd if=$M/t bs=1 skip=4999990 count=10 2>/dev/null | od -An -tx1 | tr -d ' \n')" \
    00000000000000000000 "last bytes of the extended file"
  printf 'tail' | dd of=/tmp/ref/t bs=1 seek=9000000 conv=notrunc 2>/dev/null
  printf 'tail' | dd of=$M/t bs=1 seek=9000000 conv=notrunc 2>/dev/null
  drop_caches
  expect_eq "$(stat -c %s $M/t)" 9000004 "size after writing past EOF"
  cmp /tmp/ref/t $M/t || fail "content after writing past EOF"
  truncate -s 0 $M/t
  drop_caches
  expect_eq "$(stat -c %s $M/t)" 0 "size after truncating to zero"
  rm /tmp/ref/t
}

deep_dirs() {
  p=$M/deep
  for i in $(seq 1 20); do p=$p/d$i; done
  mkdir -p $p
  echo bottom > $p/file
  drop_caches
  expect_eq "$(cat $p/file)" bottom "file at depth 20"
  expect_eq "$(find $M/deep -type d | wc -l)" 21 "directories under deep/ (itself + 20)"
}

# 2,000 names need several READDIR/READDIRPLUS replies: cookies must resume
# exactly where the previous reply ended (no entry lost or repeated).
many_files() {
  mkdir $M/many
  seq 1 2000 | sed 's/^/file-/' > /tmp/ref/names
  (cd $M/many && xargs touch < /tmp/ref/names)
  drop_caches
  expect_eq "$(ls $M/many | wc -l)" 2000 "entries listed"
  ls $M/many | sort > /tmp/ref/listed
  sort /tmp/ref/names | cmp - /tmp/ref/listed || fail "listed names differ from created names"
  expect_eq "$(ls -la $M/many | grep -c ' file-')" 2000 "entries listed with attributes (ls -l)"
}

rename_ops() {
  mkdir $M/r1 $M/r2
  echo a > $M/r1/a
  mv $M/r1/a $M/r1/b
  [ ! -e $M/r1/a ] || fail "old name still exists after rename within a directory"
  expect_eq "$(cat $M/r1/b)" a "content after rename within a directory"
  mv $M/r1/b $M/r2/c
  [ ! -e $M/r1/b ] || fail "old name still exists after rename across directories"
  expect_eq "$(cat $M/r2/c)" a "content after rename across directories"
  echo replacement > $M/r2/d
  mv $M/r2/d $M/r2/c
  [ ! -e $M/r2/d ] || fail "source still exists after rename over an existing file"
  expect_eq "$(cat $M/r2/c)" replacement "target content after rename over an existing file"
  mkdir $M/r1/sub
  echo inner > $M/r1/sub/f
  mv $M/r1/sub $M/r2/moved
  drop_caches
  expect_eq "$(cat $M/r2/moved/f)" inner "file inside a directory moved across directories"
  expect_eq "$(ls $M/r1 | wc -l)" 0 "entries left in the source directory"
  expect_eq "$(ls $M/r2 | sort | tr '\n' ' ')" "c moved " "entries in the target directory"
}

hard_links() {
  echo linked > $M/h1
  ln $M/h1 $M/h2
  drop_caches
  expect_eq "$(stat -c %h $M/h1)" 2 "link count of the original"
  expect_eq "$(stat -c %h $M/h2)" 2 "link count of the new link"
  expect_eq "$(stat -c %i $M/h1)" "$(stat -c %i $M/h2)" "inode numbers of both links"
  echo more >> $M/h2
  drop_caches
  expect_eq "$(cat $M/h1 | tr '\n' ' ')" "linked more " "write through one link seen through the other"
  rm $M/h1
  drop_caches
  expect_eq "$(stat -c %h $M/h2)" 1 "link count after removing one link"
  expect_eq "$(cat $M/h2 | head -n 1)" linked "content after removing one link"
}

symlinks() {
  echo target-data > $M/target
  ln -s target $M/link
  ln -s /nowhere/at/all $M/dangling
  drop_caches
  expect_eq "$(readlink $M/link)" target "readlink"
  expect_eq "$(readlink $M/dangling)" /nowhere/at/all "readlink of a dangling symlink"
  expect_eq "$(stat -c %F $M/link)" "symbolic link" "type of the symlink"
  expect_eq "$(cat $M/link)" target-data "reading through the symlink"
}

chmod_chown() {
  echo perms > $M/p
  chmod 0640 $M/p
  mkdir $M/pd
  chmod 0750 $M/pd
  chown 1000:1001 $M/p
  drop_caches
  expect_eq "$(stat -c %a $M/p)" 640 "file mode after chmod"
  expect_eq "$(stat -c %a $M/pd)" 750 "directory mode after chmod"
  expect_eq "$(stat -c %u:%g $M/p)" 1000:1001 "owner after chown"
  chmod 4755 $M/p
  drop_caches
  expect_eq "$(stat -c %a $M/p)" 4755 "setuid mode set by root"
}

# POSIX permission checks as seen by ordinary uids 1000 and 1001.
permissions() {
  echo root-data > $M/rootfile
  chmod 0644 $M/rootfile
  expect_eq "$($U1 cat $M/rootfile)" root-data "uid 1000 reads a 0644 root file"
  expect_fail "uid 1000 writes a 0644 root file" $U1 sh -c "echo x >> $M/rootfile"
  chmod 0600 $M/rootfile
  drop_caches
  expect_fail "uid 1000 reads a 0600 root file" $U1 cat $M/rootfile
  expect_fail "uid 1000 chmods a root file" $U1 chmod 0666 $M/rootfile
  expect_fail "uid 1000 gives away a root file" $U1 chown 1000 $M/rootfile

  mkdir $M/rootdir
  chmod 0755 $M/rootdir
  echo x > $M/rootdir/kept
  chmod 0666 $M/rootdir/kept
  expect_fail "uid 1000 creates in a 0755 root directory" $U1 touch $M/rootdir/f
  expect_fail "uid 1000 removes from a 0755 root directory" $U1 rm -f $M/rootdir/kept
  [ -e $M/rootdir/kept ] || fail "file removed by uid 1000 from a 0755 root directory"

  echo mine > $M/userfile
  chown 1000:1000 $M/userfile
  chmod 0644 $M/userfile
  $U1 sh -c "echo more >> $M/userfile" || fail "uid 1000 cannot write its own 0644 file"
  expect_fail "uid 1001 writes uid 1000's 0644 file" $U2 sh -c "echo x >> $M/userfile"
  expect_fail "uid 1000 chowns its file to root" $U1 chown 0 $M/userfile

  # sticky directory: only the owner of an entry may remove it
  mkdir $M/sticky
  chmod 1777 $M/sticky
  $U1 touch $M/sticky/owned-by-1000 || fail "uid 1000 cannot create in a 1777 directory"
  drop_caches
  expect_eq "$(stat -c %u:%g $M/sticky/owned-by-1000)" 1000:1000 "owner of a file created by uid 1000"
  expect_fail "uid 1001 removes uid 1000's file from a sticky directory" $U2 rm -f $M/sticky/owned-by-1000
  $U1 rm $M/sticky/owned-by-1000 || fail "uid 1000 cannot remove its own file from a sticky directory"
}

rm_tree() {
  mkdir -p $M/tree/a/b/c $M/tree/x
  for d in $M/tree $M/tree/a $M/tree/a/b $M/tree/a/b/c $M/tree/x; do
    echo data > $d/file1
    echo data > $d/file2
  done
  ln -s ../file1 $M/tree/a/link
  ln $M/tree/file1 $M/tree/x/hard
  rm -r $M/tree
  drop_caches
  [ ! -e $M/tree ] || fail "tree still exists after rm -r"
  expect_eq "$(ls $M | grep -c '^tree$')" 0 "tree listed after rm -r"
}

remount() {
  dd if=/dev/urandom of=/tmp/ref/keep bs=1k count=300 2>/dev/null
  cp /tmp/ref/keep $M/keep
  umount $M
  grep -q " $M " /proc/mounts && fail "still mounted after umount"
  do_mount "$EXPORT_OPEN" $M
  cmp /tmp/ref/keep $M/keep || fail "file content after remount"
  expect_eq "$(ls $M/many | wc -l)" 2000 "entries in many/ after remount"
  expect_eq "$(stat -c %s $M/big)" 67108864 "size of the 64 MiB file after remount"
  expect_eq "$(readlink $M/link)" target "symlink after remount"
}

mount_squash() {
  do_mount "$EXPORT_SQUASH" $S
}

squash_root() {
  echo from-root > $S/made-by-root
  drop_caches
  expect_eq "$(stat -c %u:%g $S/made-by-root)" 65534:65534 "owner of a file created by guest root"
  mkdir $S/root-dir
  expect_eq "$(stat -c %u $S/root-dir)" 65534 "owner of a directory created by guest root"
  # Refusing (EPERM, as knfsd does) and mapping the new owner 0 to the
  # anonymous id (as ganesha does) are both safe; ending up owned by root is not.
  chown 0:0 $S/made-by-root 2>&1 || true
  drop_caches
  expect_eq "$(stat -c %u:%g $S/made-by-root)" 65534:65534 "owner after squashed root tried chown 0:0"
}

squash_user() {
  $U1 sh -c "echo from-user > $S/made-by-1000" || fail "uid 1000 cannot create a file"
  drop_caches
  expect_eq "$(stat -c %u:%g $S/made-by-1000)" 1000:1000 "owner of a file created by uid 1000"
  expect_eq "$($U1 cat $S/made-by-1000)" from-user "uid 1000 reads its file"
  chmod 0600 $S/made-by-root
  expect_fail "uid 1000 reads a 0600 file of nobody" $U1 cat $S/made-by-root
}

unmount_all() {
  umount $S
  umount $M
  expect_eq "$(grep -c ' nfs ' /proc/mounts)" 0 "NFS mounts left"
}

step mount mount_open
step big-file-64mib big_file
step append append
step truncate truncate_file
step mkdir-depth-20 deep_dirs
step readdir-2000-files many_files
step rename rename_ops
step hard-links hard_links
step symlinks symlinks
step chmod-chown chmod_chown
step permissions permissions
step rm-tree rm_tree
step remount remount
step mount-root-squash mount_squash
step root-squash-owner squash_root
step root-squash-user-create squash_user
step unmount unmount_all

if [ "$STEPS_FAILED" != 0 ]; then
  echo "--- dmesg (last 30 lines)"
  dmesg | tail -n 30
fi
exit "$STEPS_FAILED"
