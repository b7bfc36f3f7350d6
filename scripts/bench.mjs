#!/usr/bin/env node
// `npm run bench`: DittoFS next to nfs-ganesha, as ratios, in one run
// (bench/run.ts does the work; bench/README.md says how to read it).
// First makes sure the reference server and the kernel-client guest's tools
// are installed (installing what is missing when run as root: the bench is
// not run in CI), then builds, then runs. Env: see bench/README.md.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

// The reference server is required; the guest's packages only for the kernel-client part.
const REQUIRED = ['nfs-ganesha', 'nfs-ganesha-vfs', 'rpcbind'];
const GUEST = [
  'qemu-system-x86',
  'linux-image-amd64',
  'busybox-static',
  'cpio',
  'kmod',
  'xz-utils',
  'gzip',
  'gcc',
  'libc6-dev',
];

function missing(packages) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...packages], { encoding: 'utf8' });
  const ok = new Set(
    (r.stdout ?? '')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[1] === 'install' && f[2] === 'ok' && f[3] === 'installed')
      .map((f) => f[0]),
  );
  return packages.filter((p) => !ok.has(p));
}

if (process.env.DFS_SKIP_DEPS !== '1') {
  const wanted = [...REQUIRED, ...(process.env.BENCH_GUEST === '0' ? [] : GUEST)];
  let lacking = missing(wanted);
  if (lacking.length && process.getuid?.() === 0) {
    console.error(`bench: installing ${lacking.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update', '-qq'], { env }).status !== 0) process.exit(1);
    if (run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...lacking], { env }).status !== 0)
      process.exit(1);
    lacking = missing(wanted);
  }
  const lackingRequired = lacking.filter((p) => REQUIRED.includes(p));
  if (lackingRequired.length) {
    console.error(
      `bench: missing ${lackingRequired.join(' ')} (apt-get install them, or run as root to have them installed)`,
    );
    process.exit(1);
  }
  if (lacking.length) console.error(`bench: kernel-client workloads will be skipped: missing ${lacking.join(' ')}`);
}

// BENCH_SKIP_BUILD=1 benches the dist/ already there (e.g. while someone's change breaks the build).
if (process.env.BENCH_SKIP_BUILD !== '1' && run('npm', ['run', '--silent', 'build']).status !== 0) {
  console.error('bench: build failed (BENCH_SKIP_BUILD=1 runs the existing dist/)');
  process.exit(1);
}
const r = run(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...process.argv.slice(2)]);
process.exit(r.status ?? 1);
