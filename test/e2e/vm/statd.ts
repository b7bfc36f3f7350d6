// What the guest needs for NLM with the kernel client: the kernel's lockd
// asks the local rpc.statd (SM_MON) before its first lock and registers
// itself with the local rpcbind, so both daemons run in the guest. They are
// dynamically linked Debian binaries (nfs-common, rpcbind): the binaries, their
// shared libraries (as ldd resolves them on this host) and the few files they
// read go into the guest as extra files; `guest/statd.sh` starts them.
import { execFile } from 'node:child_process';
import { mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { GuestFile } from './harness.js';
import { which } from '../requirements.js';

const DAEMONS = ['rpcbind', 'rpc.statd'] as const;

/** Missing host pieces (empty = ready). */
export function missingForStatd(): string[] {
  const missing: string[] = [];
  if (!which('rpcbind')) missing.push('rpcbind (apt package rpcbind)');
  if (!which('rpc.statd')) missing.push('rpc.statd (apt package nfs-common)');
  if (!which('ldd')) missing.push('ldd (apt package libc-bin)');
  return missing;
}

async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ldd', [binary]);
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    // "libx.so.1 => /lib/x86_64-linux-gnu/libx.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/**
 * Files for runGuest({ files }): rpcbind and rpc.statd in /sbin, their
 * libraries at the paths the dynamic loader looks for (symlinks resolved on
 * the host: the guest gets regular files), /etc/netconfig (libtirpc), and
 * passwd/group/hosts (rpcbind runs as _rpc; names resolve without DNS).
 */
export async function statdGuestFiles(): Promise<GuestFile[]> {
  const files = new Map<string, string>();
  for (const d of DAEMONS) {
    const bin = which(d);
    if (!bin) throw new Error(`${d} not installed: ${missingForStatd().join(', ')}`);
    files.set(`/sbin/${d}`, await realpath(bin));
    for (const lib of await sharedLibraries(bin)) files.set(lib, await realpath(lib));
  }
  const etc = await mkdtemp(join(tmpdir(), 'dfs-statd-etc-'));
  const text: Record<string, string> = {
    passwd:
      'root:x:0:0:root:/root:/bin/sh\n_rpc:x:101:65534::/run/rpcbind:/bin/false\nstatd:x:102:65534::/var/lib/nfs:/bin/false\n',
    group: 'root:x:0:\nnogroup:x:65534:\n',
    hosts: '127.0.0.1 localhost\n',
    'nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files\n',
  };
  for (const [name, content] of Object.entries(text)) {
    await writeFile(join(etc, name), content);
    files.set(`/etc/${name}`, join(etc, name));
  }
  // rpcbind binds its inet sockets to the "sunrpc" service: without
  // /etc/services it listens on its unix socket only, and the kernel's
  // lockd, which asks 127.0.0.1:111 for statd's port, cannot monitor.
  for (const f of ['netconfig', 'services', 'protocols']) files.set(`/etc/${f}`, `/etc/${f}`);
  files.set('/lib/dfs/statd.sh', join(import.meta.dirname, 'guest', 'statd.sh'));
  return [...files].map(([guest, host]) => ({ host, guest }));
}
