#!/bin/sh
# Kernel-client workloads, run as /test.sh in the qemu guest (bench/guest/kernel-runner.ts).
#
# Env (from /etc/harness.env):
#   TARGETS  "label:nfsport:mountport:/export ..."  servers to mount, one mount each
#   REPS     repetitions; the order of targets rotates between them
#   MIB      size of the dd file
#   FILES    files created, stat'ed and removed
# HARNESS_HOST is the host as the guest sees it.
#
# Each measured phase prints
#   BENCH-BEGIN label metric
#   BENCH-END label metric rep seconds units
# and the host measures the server's CPU and peak RSS between the two lines
# (the short sleeps keep its reaction time out of the window's edges).
# Times come from /proc/uptime (10 ms); under TCG everything in here is slow.
SRV=$HARNESS_HOST

now() { cut -d' ' -f1 /proc/uptime; }

drop_caches() {
  sync
  echo 3 > /proc/sys/vm/drop_caches
}

# phase LABEL METRIC UNITS CMD [ARG...]
phase() {
  _label=$1 _metric=$2 _units=$3
  shift 3
  echo "BENCH-BEGIN $_label $_metric"
  sleep 0.3
  _t0=$(now)
  if ! "$@"; then
    echo "BENCH-FAIL $_label $_metric"
    return 1
  fi
  _t1=$(now)
  echo "BENCH-END $_label $_metric $REP $(echo "$_t1 $_t0" | awk '{ printf "%.2f", $1 - $2 }') $_units"
  sleep 0.3
}

create_files() { # DIR
  _i=0
  while [ $_i -lt "$FILES" ]; do
    : > "$1/f$_i" || return 1
    _i=$((_i + 1))
  done
}

stat_files() { # DIR
  _i=0
  while [ $_i -lt "$FILES" ]; do
    [ -e "$1/f$_i" ] || return 1
    _i=$((_i + 1))
  done
}

run_target() { # LABEL
  M=/mnt/$1
  phase "$1" k-dd-write "$MIB" dd if=/dev/zero of="$M/big" bs=1M count="$MIB" conv=fsync 2>/dev/null || return 1
  drop_caches
  phase "$1" k-dd-read "$MIB" dd if="$M/big" of=/dev/null bs=1M 2>/dev/null || return 1
  rm -f "$M/big"
  mkdir "$M/d" || return 1
  phase "$1" k-create "$FILES" create_files "$M/d" || return 1
  drop_caches
  phase "$1" k-stat "$FILES" stat_files "$M/d" || return 1
  phase "$1" k-remove "$FILES" rm -r "$M/d" || return 1
}

LABELS=""
for t in $TARGETS; do
  label=${t%%:*}
  rest=${t#*:}
  port=${rest%%:*}
  rest=${rest#*:}
  mport=${rest%%:*}
  export_path=${rest#*:}
  mkdir -p "/mnt/$label"
  mount -t nfs -o "vers=3,proto=tcp,nolock,port=$port,mountport=$mport,mountproto=tcp,mountvers=3,addr=$SRV" \
    "$SRV:$export_path" "/mnt/$label" || { echo "BENCH-ERROR mount $label failed"; exit 1; }
  echo "BENCH-MOUNT $label $(grep " /mnt/$label " /proc/mounts | cut -d' ' -f4)"
  LABELS="$LABELS $label"
done

rc=0
REP=0
while [ $REP -lt "$REPS" ]; do
  # rotate the order of targets by REP
  set -- $LABELS
  k=$((REP % $#))
  order=""
  i=0
  for l in "$@"; do
    [ $i -ge $k ] && order="$order $l"
    i=$((i + 1))
  done
  i=0
  for l in "$@"; do
    [ $i -lt $k ] && order="$order $l"
    i=$((i + 1))
  done
  for l in $order; do
    run_target "$l" || { echo "BENCH-ERROR $l rep $REP"; rc=1; }
  done
  REP=$((REP + 1))
done

for l in $LABELS; do umount "/mnt/$l"; done
exit $rc
