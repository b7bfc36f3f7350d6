/**
 * Runs bench/guest/kernel-bench.sh in the qemu guest of the e2e harness
 * (test/e2e/vm), with every server mounted at once, and turns its
 * BENCH-BEGIN / BENCH-END lines into samples. The guest's serial console is
 * read as it arrives (run-guest.sh tees it to stdout), so each phase's server
 * CPU and peak RSS are measured on the host between its two lines.
 *
 * The guest CPU is emulated (TCG): its figures mostly measure qemu, and the
 * slirp network in between. They are reported for the ratio only.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildGuest, GUEST_LOG_DIR } from '../../test/e2e/vm/harness.js';
import { missingForGuest } from '../../test/e2e/requirements.js';
import { openWindow, type ProcWindow } from '../servers/proc-stats.js';
import type { Sample } from '../samples.js';
import type { BenchServer } from '../servers/types.js';
import type { BenchSettings } from '../settings.js';

const VM_DIR = join(import.meta.dirname, '..', '..', 'test', 'e2e', 'vm');

export interface KernelRun {
  samples: Sample[];
  /** Mount options the kernel chose per server (rsize, wsize, ...). */
  mounts: Record<string, string>;
  /** Guest errors (BENCH-ERROR / BENCH-FAIL lines, exit status). */
  errors: string[];
}

export { missingForGuest };

export async function runKernelWorkloads(
  servers: readonly BenchServer[],
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<KernelRun> {
  const vmOut = await buildGuest();
  const work = await mkdtemp(join(settings.baseDir, 'dfs-bench-guest-'));
  const byLabel = new Map(servers.map((s) => [s.label, s]));
  const env = {
    TARGETS: servers.map((s) => `${s.label}:${s.port}:${s.mountPort}:${s.exportPath}`).join(' '),
    REPS: settings.guestReps,
    MIB: settings.guestMiB,
    FILES: settings.guestFiles,
  };
  const envPath = join(work, 'harness.env');
  await writeFile(
    envPath,
    Object.entries(env)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
  );
  // Budget: boot, plus generously what TCG needs per target and repetition.
  const timeoutSec = Math.min(
    1800,
    60 + settings.guestReps * servers.length * (20 + settings.guestMiB / 4 + settings.guestFiles / 40),
  );
  await mkdir(GUEST_LOG_DIR, { recursive: true });
  const logFile = join(GUEST_LOG_DIR, 'bench-kernel.log');
  const child = spawn(join(VM_DIR, 'run-guest.sh'), [join(import.meta.dirname, 'kernel-bench.sh'), logFile], {
    env: { ...process.env, VM_OUT: vmOut, GUEST_ENV: envPath, TIMEOUT: String(timeoutSec), MODS: 'nfsv3', NET: 'user' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c.toString()));

  const result: KernelRun = { samples: [], mounts: {}, errors: [] };
  const open = new Map<string, Promise<() => Promise<ProcWindow>>>();
  // Lines are handled in order, each after the previous one's procfs reads.
  let chain = Promise.resolve();
  const handle = async (line: string): Promise<void> => {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'BENCH-MOUNT') result.mounts[f[1]] = f[2];
    else if (f[0] === 'BENCH-ERROR' || f[0] === 'BENCH-FAIL') result.errors.push(line.trim());
    else if (f[0] === 'BENCH-BEGIN') {
      const s = byLabel.get(f[1]);
      if (s) open.set(`${f[1]} ${f[2]}`, openWindow(s.pid));
    } else if (f[0] === 'BENCH-END') {
      const [, label, metric, rep, seconds, units] = f;
      const close = open.get(`${label} ${metric}`);
      open.delete(`${label} ${metric}`);
      if (!close) return;
      const w = await (await close)();
      const sample: Sample = {
        metric,
        server: label,
        rep: Number(rep),
        seconds: Number(seconds),
        units: Number(units),
        serverCpuSeconds: w.cpuSeconds,
        serverPeakRssMiB: w.peakRssMiB,
        clientCpuSeconds: null,
      };
      result.samples.push(sample);
      log(
        `kernel rep ${sample.rep + 1}/${settings.guestReps} ${label.padEnd(11)} ${metric} ${(sample.units / sample.seconds).toFixed(1)}`,
      );
    }
  };
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    chain = chain.then(() => handle(line)).catch((e: unknown) => void result.errors.push(String(e)));
  });
  const rc = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(125));
    child.once('close', (code) => resolve(code ?? 124));
  });
  await chain;
  await rm(work, { recursive: true, force: true });
  if (rc !== 0) {
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    result.errors.push(`guest exited with status ${rc} (log: ${logFile})\n${stderr.join('')}${tail}`);
  }
  return result;
}
