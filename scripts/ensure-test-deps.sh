#!/bin/sh
# Installs the Debian packages the end-to-end tests use (real NFS clients and
# the qemu guest that runs Debian's kernel client), if any are missing.
# Quick and silent when everything is there (one dpkg-query); runs
# `apt-get update` at most once otherwise. Only as root: for anyone else it
# prints what is missing and succeeds, and the e2e suites skip (or fail under
# DFS_REQUIRE_E2E=1) with the same list. Works from any directory
# (`.ci/run` calls it from the repository root).
#
# Env: DFS_E2E_EXTRA_PACKAGES="pkg ..."  more packages to ensure
#      (e.g. "nfs-ganesha nfs-ganesha-vfs" for DFS_E2E_SERVER=ganesha runs)
set -eu

PACKAGES="
  qemu-system-x86 linux-image-amd64 busybox-static cpio kmod xz-utils gzip
  gcc libc6-dev iproute2 openssl
  libnfs-utils rpcbind nfs-common
  smbclient samba-testsuite
  postgresql
  ${DFS_E2E_EXTRA_PACKAGES:-}
"

# One dpkg-query for all: "install ok installed" only; half-installed or
# removed-with-config packages count as missing, unknown ones print nothing.
# shellcheck disable=SC2086 # word splitting of the package list is intended
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null |
  awk '$2 == "install" && $3 == "ok" && $4 == "installed" { print $1 }' || true)
missing=""
for p in $PACKAGES; do
  echo "$installed" | grep -qx "$p" || missing="$missing $p"
done

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "ensure-test-deps: not root, not installing:$missing" >&2
  exit 0
fi

echo "ensure-test-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >&2
