// TypeScript front of the kernel-client guest: builds (once, cached in
// vm/out/) and boots the Debian kernel under qemu with a test script as
// /test.sh, and returns the guest's exit status and serial log.
// The shell scripts beside this file do the work; see run-guest.sh for the
// guest's environment.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const VM_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(VM_DIR, '..', '..', '..');
/** Serial logs of every guest run are kept here (gitignored). */
export const GUEST_LOG_DIR = join(REPO_ROOT, '.test-results', 'e2e');

/** The host's 127.0.0.1 as a slirp (user-net) guest reaches it. */
export const SLIRP_HOST_ADDRESS = '10.0.2.2';

export interface GuestFile {
  /** Path on the host (no spaces or colons). */
  host: string;
  /** Absolute path in the guest. */
  guest: string;
}

export type GuestNetwork =
  /** slirp: the guest is 10.0.2.15 and reaches the host's 127.0.0.1 as 10.0.2.2; the host cannot reach the guest. */
  | { mode: 'user' }
  /**
   * A TAP device in a network namespace made by scripts/e2e/netns.sh (root
   * only): traffic flows both ways, so servers can call clients back. The
   * server must run in the same namespace (startDfs({ netns })).
   */
  | { mode: 'tap'; netns: string; tap?: string; guestCidr?: string; hostIp?: string };

export interface RunGuestOptions {
  /** Shell script text, run as /test.sh (busybox sh); /lib/dfs/steps.sh is available. */
  script: string;
  files?: GuestFile[];
  /** Whole boot-to-poweroff budget; default 120 s. */
  timeoutSec?: number;
  /** Exported to /test.sh (via /etc/harness.env). */
  env?: Record<string, string | number>;
  /** Kernel modules to load at boot besides virtio, e.g. ['nfsv3']. */
  modules?: string[];
  net?: GuestNetwork;
  memMiB?: number;
  /** Extra kernel command line. */
  append?: string;
  /** Name of the log kept in GUEST_LOG_DIR (default "guest"). */
  logName?: string;
  /**
   * Called with each line of the serial console as it arrives (without the
   * line ending), while the guest runs: lets a test act between phases of the
   * guest script (e.g. restart the server when the guest prints a marker).
   */
  onLine?: (line: string) => void;
}

export interface GuestResult {
  /** /test.sh's exit status; 124 = timed out, 125 = no HARNESS-RC marker (crash). */
  rc: number;
  /** The serial console: kernel messages and everything /test.sh printed. */
  log: string;
  timedOut: boolean;
  durationMs: number;
  /** Where the log was saved. */
  logFile: string;
}

let built: Promise<string> | undefined;

/** Builds the kernel, initramfs and helpers once per process (cached on disk across runs). */
export function buildGuest(): Promise<string> {
  built ??= promisify(execFile)(join(VM_DIR, 'build.sh'), [], { maxBuffer: 1 << 20 }).then(
    (r) => r.stdout.trim(),
    (e: Error & { stderr?: string }) => {
      built = undefined;
      throw new Error(`building the e2e guest failed: ${e.message}\n${e.stderr ?? ''}`);
    },
  );
  return built;
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

export async function runGuest(opts: RunGuestOptions): Promise<GuestResult> {
  const vmOut = await buildGuest();
  const work = await mkdtemp(join(tmpdir(), 'dfs-guest-'));
  await mkdir(GUEST_LOG_DIR, { recursive: true });
  const logFile = join(GUEST_LOG_DIR, `${opts.logName ?? 'guest'}.log`);
  try {
    const scriptPath = join(work, 'test.sh');
    await writeFile(scriptPath, opts.script, { mode: 0o755 });
    const envPath = join(work, 'harness.env');
    const envLines = Object.entries(opts.env ?? {}).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad guest env name ${k}`);
      return `${k}=${shellQuote(String(v))}\n`;
    });
    await writeFile(envPath, envLines.join(''));
    for (const f of opts.files ?? []) {
      if (/[\s:]/.test(f.host + f.guest) || !f.guest.startsWith('/'))
        throw new Error(`unsupported guest file path ${f.host} -> ${f.guest}`);
    }

    const timeoutSec = opts.timeoutSec ?? 120;
    const net = opts.net ?? { mode: 'user' };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VM_OUT: vmOut,
      GUEST_ENV: envPath,
      GUEST_FILES: (opts.files ?? []).map((f) => `${f.host}:${f.guest}`).join(' '),
      TIMEOUT: String(timeoutSec),
      MEM: String(opts.memMiB ?? 512),
      MODS: (opts.modules ?? []).join(','),
      APPEND: opts.append ?? '',
      NET: net.mode,
    };
    if (net.mode === 'tap') {
      env.NETNS = net.netns;
      if (net.tap) env.TAP = net.tap;
      if (net.guestCidr) env.GUEST_IP = net.guestCidr;
      if (net.hostIp) env.HOST_IP = net.hostIp;
    }

    const started = Date.now();
    const child = spawn(join(VM_DIR, 'run-guest.sh'), [scriptPath, logFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: string[] = [];
    let partial = '';
    const onLine = opts.onLine;
    child.stdout.on('data', (c: Buffer) => {
      const text = c.toString();
      out.push(text);
      if (onLine === undefined) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const l of lines) onLine(l.replace(/\r$/, ''));
    });
    child.stderr.on('data', (c: Buffer) => out.push(c.toString()));
    // run-guest.sh enforces the timeout with timeout(1); this is the backstop
    // should the script itself wedge. Killing the group takes qemu with it.
    const backstop = setTimeout(
      () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      },
      (timeoutSec + 30) * 1000,
    );
    const rc = await new Promise<number>((res) => {
      child.once('error', () => res(125));
      child.once('close', (code) => res(code ?? 124));
    });
    clearTimeout(backstop);
    const log = out.join('');
    await writeFile(logFile, log);
    return { rc, log, timedOut: rc === 124, durationMs: Date.now() - started, logFile };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
