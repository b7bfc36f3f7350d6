#!/bin/sh
# Usage: run-guest.sh TEST_SCRIPT [LOGFILE]
#
# Boots the installed Debian kernel with the e2e initramfs under qemu (TCG),
# runs TEST_SCRIPT as /test.sh in the guest (with /lib/dfs/steps.sh and the
# static helpers from tools/ in /bin) and exits with its status:
# 124 = timed out (a hard NFS mount to a hung server hangs the guest),
# 125 = the guest printed no HARNESS-RC marker (crash, panic, qemu error).
# The serial console goes to stdout and to LOGFILE.
#
# Env:
#   GUEST_FILES="host:guest ..."  more files for the guest (no spaces in paths)
#   GUEST_ENV=FILE                becomes /etc/harness.env, exported to /test.sh
#   MODS=nfsv3,nfsv4              modules to load at boot (besides virtio)
#   TIMEOUT=120 MEM=512 APPEND=   seconds / MiB / extra kernel parameters
#   NET=user                      slirp: guest 10.0.2.15, host's 127.0.0.1 is 10.0.2.2
#   NET=tap NETNS=dfs-e2e [TAP=tap0 GUEST_IP=192.168.77.2/24 HOST_IP=192.168.77.1]
#                                 qemu runs inside the namespace made by
#                                 scripts/e2e/netns.sh and uses its TAP device,
#                                 so the host side can connect back to the guest
#   VM_OUT=DIR                    build output (default: run build.sh)
#   INTERACTIVE=1 APPEND=dfs.shell  a shell on the console instead of /test.sh
#                                 (debugging; type `poweroff -f` to leave)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TEST=${1:?usage: run-guest.sh TEST_SCRIPT [LOGFILE]}
LOG=${2:-/dev/null}
VM_OUT=${VM_OUT:-$("$HERE/build.sh")}
KERNEL=$(dirname "$VM_OUT")/vmlinux
NET=${NET:-user}

W=$(mktemp -d /tmp/dfs-guest.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/root/bin" "$W/root/etc" "$W/root/lib/dfs"
cp "$TEST" "$W/root/test.sh"
chmod 755 "$W/root/test.sh"
cp "$VM_OUT"/bin/* "$W/root/bin/"
cp "$HERE/guest/steps.sh" "$W/root/lib/dfs/steps.sh"
[ -n "${GUEST_ENV:-}" ] && cp "$GUEST_ENV" "$W/root/etc/harness.env"
for spec in ${GUEST_FILES:-}; do
  src=${spec%%:*}
  dst=${spec#*:}
  mkdir -p "$W/root$(dirname "$dst")"
  cp -a "$src" "$W/root$dst"
done

# The kernel unpacks concatenated cpio archives in order, later files
# overriding earlier ones; a compressed member must end on a 4-byte boundary.
cp "$VM_OUT/base.cpio.gz" "$W/initrd"
size=$(stat -c %s "$W/initrd")
pad=$(( (4 - size % 4) % 4 ))
[ "$pad" -gt 0 ] && head -c "$pad" /dev/zero >> "$W/initrd"
(cd "$W/root" && find . | cpio -o -H newc --quiet) >> "$W/initrd"

CMDLINE="console=ttyS0 quiet loglevel=4 panic=-1"
[ -n "${MODS:-}" ] && CMDLINE="$CMDLINE dfs.mods=$MODS"
case $NET in
  user)
    NETDEV="user,id=n0"
    WRAP=""
    ;;
  tap)
    : "${NETNS:?NET=tap needs NETNS (see scripts/e2e/netns.sh)}"
    NETDEV="tap,id=n0,ifname=${TAP:-tap0},script=no,downscript=no"
    WRAP="ip netns exec $NETNS"
    CMDLINE="$CMDLINE dfs.ip=${GUEST_IP:-192.168.77.2/24} dfs.gw=${HOST_IP:-192.168.77.1}"
    ;;
  *)
    echo "run-guest.sh: NET must be user or tap, not $NET" >&2
    exit 2
    ;;
esac
[ -n "${APPEND:-}" ] && CMDLINE="$CMDLINE $APPEND"
STDIN=/dev/null
[ -n "${INTERACTIVE:-}" ] && STDIN=/dev/stdin

# shellcheck disable=SC2086 # WRAP is a command prefix or empty
{
  $WRAP timeout -k 5 "${TIMEOUT:-120}" qemu-system-x86_64 \
    -accel tcg -cpu max -m "${MEM:-512}" -smp 1 \
    -nodefaults -no-user-config -display none -serial stdio -no-reboot \
    -kernel "$KERNEL" -initrd "$W/initrd" -append "$CMDLINE" \
    -netdev "$NETDEV" -device virtio-net-pci,netdev=n0,romfile= \
    < "$STDIN" 2>&1
  echo $? > "$W/qemu.rc"
} | tee "$W/serial.log" "$LOG"
qrc=$(cat "$W/qemu.rc")
rc=$(sed -n 's/^HARNESS-RC=\([0-9]*\).*/\1/p' "$W/serial.log" | tail -n 1)
if [ -z "$rc" ]; then
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    echo "run-guest.sh: guest timed out after ${TIMEOUT:-120}s" >&2
    exit 124
  fi
  echo "run-guest.sh: no HARNESS-RC marker (qemu exit status $qrc)" >&2
  exit 125
fi
exit "$rc"
