# Starts rpcbind and rpc.statd in the e2e guest (sourced as /lib/dfs/statd.sh;
# the files come from test/e2e/vm/statd.ts). The kernel's lockd needs both:
# it registers with rpcbind and asks statd to monitor the server (SM_MON)
# before its first lock. Call `statd_up NAME` with the guest's host name
# (the caller_name the kernel puts in NLM requests).
statd_up() {
  hostname "$1"
  echo "127.0.1.1 $1" >> /etc/hosts
  # libtirpc finds rpcbind through /var/run/rpcbind.sock (Debian: /var/run -> /run).
  mkdir -p /run/rpcbind /var/lib/nfs/sm /var/lib/nfs/sm.bak
  [ -e /var/run ] || ln -s /run /var/run
  chown _rpc /run/rpcbind 2>/dev/null || true
  rpcbind -w || return 1
  # --no-notify: this guest did not reboot; the tests send SM_NOTIFY themselves.
  rpc.statd --no-notify || return 1
  for _i in 1 2 3 4 5 6 7 8 9 10; do
    grep -q . /run/rpc.statd.pid 2>/dev/null && return 0
    sleep 0.2
  done
  echo "rpc.statd did not start"
  return 1
}
