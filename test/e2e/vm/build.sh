#!/bin/sh
# Builds (or reuses) everything the e2e guest needs and prints the directory
# that holds it:
#   out/$KV/vmlinux                 ELF kernel extracted from /boot/vmlinuz-$KV
#   out/$KV/$KEY/base.cpio.gz       busybox + modules + /init
#   out/$KV/$KEY/bin/*              static helpers from tools/*.c (go to /bin)
# $KEY hashes the inputs (this script, init.sh, tools/*.c), so editing any of
# them rebuilds; an unchanged tree reuses the cache in well under a second.
# Progress goes to stderr; stdout is only the output directory.
#
# Env: KV (default: newest kernel with both /boot/vmlinuz-KV and /lib/modules/KV)
# Needs: busybox-static, kmod, cpio, gzip, xz-utils, gcc + libc6-dev, node.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${KV:-}" ]; then
  for v in $(ls /lib/modules 2>/dev/null | sort -V); do
    [ -f "/boot/vmlinuz-$v" ] && KV=$v
  done
fi
[ -n "${KV:-}" ] || { echo "build.sh: no kernel with /boot/vmlinuz-* and /lib/modules/* (install linux-image-amd64)" >&2; exit 1; }

KEY=$(cat "$HERE/build.sh" "$HERE/init.sh" "$HERE"/tools/*.c | sha256sum | cut -c1-12)
KDIR=$HERE/out/$KV
OUT=$KDIR/$KEY
mkdir -p "$KDIR"

if [ ! -f "$KDIR/vmlinux" ]; then
  node "$HERE/extract-vmlinux.mjs" "/boot/vmlinuz-$KV" "$KDIR/vmlinux" >&2
fi
if [ -f "$OUT/.complete" ]; then
  echo "$OUT"
  exit 0
fi

# Build in a scratch directory and rename at the end, so an interrupted or
# concurrent build never leaves a half-written cache entry behind.
WORK=$(mktemp -d "$KDIR/.build.XXXXXX")
ST=$WORK/root
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$ST/bin" "$ST/sbin" "$ST/proc" "$ST/sys" "$ST/dev" "$ST/mnt" "$ST/tmp" "$ST/etc" "$ST/run" "$ST/lib"

cp /bin/busybox "$ST/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ST/bin/$applet"
done
# The kernel's request_module() runs /sbin/modprobe (e.g. for "fs-nfs").
ln -s ../bin/busybox "$ST/sbin/modprobe"

# NFS and CIFS clients, virtio networking, and their dependencies as the
# installed kernel's modules.dep resolves them. All crypto modules go in too:
# RPCSEC_GSS and SMB3 signing/encryption ask for algorithms by name at run time.
MODS="virtio_pci virtio_net nfs nfsv3 nfsv4 sunrpc lockd cifs auth_rpcgss nls_utf8"
M=/lib/modules/$KV/kernel
{
  for m in $MODS; do
    modprobe -S "$KV" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
  done
  find "$M/crypto" "$M/arch/x86/crypto" "$M/lib/crypto" -name '*.ko*' ! -name 'tcrypt.ko*' 2>/dev/null
} | sort -u | while read -r ko; do
  mkdir -p "$ST$(dirname "$ko")"
  cp "$ko" "$ST$ko"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
  [ -f "/lib/modules/$KV/$f" ] && cp "/lib/modules/$KV/$f" "$ST/lib/modules/$KV/"
done
depmod -b "$ST" "$KV"

cp "$HERE/init.sh" "$ST/init"
chmod 755 "$ST/init"

mkdir -p "$WORK/out/bin"
for c in "$HERE"/tools/*.c; do
  gcc -O2 -Wall -Wextra -static -o "$WORK/out/bin/$(basename "$c" .c)" "$c"
done

(cd "$ST" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/out/base.cpio.gz"
touch "$WORK/out/.complete"
if ! mv -T "$WORK/out" "$OUT" 2>/dev/null; then
  # Another build won the race; its result is identical.
  [ -f "$OUT/.complete" ] || { echo "build.sh: cannot create $OUT" >&2; exit 1; }
fi
# Older cache entries for this kernel are outputs of since-edited inputs.
for old in "$KDIR"/*/; do
  [ "${old%/}" = "$OUT" ] || rm -rf "${old%/}"
done
echo "build.sh: built $OUT ($(du -h "$OUT/base.cpio.gz" | cut -f1) initramfs) for kernel $KV" >&2
echo "$OUT"
