#!/bin/sh
# /init of the e2e test guest (busybox, PID 1).
#
# Kernel command line parameters (set by run-guest.sh):
#   dfs.mods=a,b,c        modules to load besides virtio networking
#   dfs.ip=ADDR/PREFIX    guest address (slirp default 10.0.2.15/24)
#   dfs.gw=ADDR           default gateway = the host as the guest sees it
#   dfs.shell             interactive shell on the console instead of /test.sh
#
# /etc/harness.env (optional, from the appended cpio) is exported to /test.sh.
# The host finds the test's exit status in the serial log as "HARNESS-RC=<n>";
# a missing marker means the guest hung or crashed.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o size=256m tmpfs /tmp

arg() { # value of dfs.$1= on the kernel command line
  for w in $(cat /proc/cmdline); do
    case $w in "dfs.$1="*) echo "${w#*=}"; return 0 ;; esac
  done
  return 1
}

IP=$(arg ip) || IP=10.0.2.15/24
GW=$(arg gw) || GW=10.0.2.2
MODS="virtio_pci virtio_net $(arg mods | tr ',' ' ')"
for m in $MODS; do
  modprobe "$m" || echo "HARNESS-WARN modprobe $m failed"
done

ip link set lo up
ip link set eth0 up
ip addr add "$IP" dev eth0
ip route add default via "$GW"
echo "HARNESS-READY ip=$IP gw=$GW uptime=$(cut -d' ' -f1 /proc/uptime)"

rc=0
if grep -qw dfs.shell /proc/cmdline; then
  setsid cttyhack sh
elif [ -x /test.sh ]; then
  if [ -f /etc/harness.env ]; then
    set -a
    . /etc/harness.env
    set +a
  fi
  export HARNESS_HOST="$GW"
  cd /tmp && /test.sh
  rc=$?
else
  echo "HARNESS-WARN no /test.sh in the initramfs"
  rc=99
fi
echo "HARNESS-RC=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
