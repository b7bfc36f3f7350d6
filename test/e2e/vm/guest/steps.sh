# Guest-side step runner, sourced by test scripts as /lib/dfs/steps.sh.
#
#   step NAME FUNCTION [ARG...]
#
# runs FUNCTION in a subshell with `set -e` and prints
#   STEP-BEGIN NAME
#   ...whatever the step printed...
#   STEP NAME OK SECONDS    or   STEP NAME FAIL rc=N SECONDS
# The host side (test/e2e/vm/steps.ts) turns each STEP line into one test
# result and shows the lines in between when a step fails. A step that hangs
# leaves no STEP line: the host reports it as "no result" (guest timed out).
# Steps do not stop the script; later steps may depend on earlier ones and
# then fail too, which the first FAIL explains.

STEPS_FAILED=0

step() {
  _name=$1
  shift
  echo "STEP-BEGIN $_name"
  _t0=$(cut -d' ' -f1 /proc/uptime)
  ( set -e; "$@" )
  _rc=$?
  _dt=$(echo "$(cut -d' ' -f1 /proc/uptime) $_t0" | awk '{ printf "%.1f", $1 - $2 }')
  if [ "$_rc" = 0 ]; then
    echo "STEP $_name OK ${_dt}s"
  else
    echo "STEP $_name FAIL rc=$_rc ${_dt}s"
    STEPS_FAILED=$((STEPS_FAILED + 1))
  fi
}

# fail MESSAGE: end the current step with a reason.
fail() {
  echo "  FAIL: $*"
  exit 1
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# expect_fail WHAT CMD [ARG...]: CMD must exit non-zero (e.g. EACCES).
expect_fail() {
  _what=$1
  shift
  if "$@" 2>/tmp/expect_fail.err; then
    fail "$_what: '$*' succeeded but must be refused"
  fi
  echo "  refused as expected ($_what): $(head -n 1 /tmp/expect_fail.err)"
}

# Forget cached pages, dentries and attributes so the next access asks the server.
drop_caches() {
  sync
  echo 3 > /proc/sys/vm/drop_caches
}

# Seconds since boot, for timing lines inside a step.
now() {
  cut -d' ' -f1 /proc/uptime
}
