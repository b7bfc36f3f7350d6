// The Linux kernel NFSv3 client stays mounted while the real `dfs start`
// (default share: LMDB metadata + fs block store) is stopped with SIGTERM,
// then killed with SIGKILL right after COMMIT / FILE_SYNC writes, and each
// time started again on the same port and data (issue 3, "Evidence"). The
// guest script (guest/kernel-restart.sh) prints "PHASE <name>" when it wants
// a restart; the host restarts the server and then creates /restarted-<name>
// through its own NFS client, which the blocked guest is polling for.
// Every step the guest prints becomes one test; the figures (server restart
// time, how long the guest's calls were blocked) are printed.
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from './process.js';
import { markRestarted } from './restart-marker.js';
import { describeE2e, missingForGuest } from './requirements.js';
import { dfsCommand, REPO_ROOT, startDfs, type DfsServer } from './server.js';
import { runGuest, type GuestResult } from './vm/harness.js';
import { explainStep, parseSteps, type StepReport } from './vm/steps.js';

const STEPS = [
  'mount',
  'write-tree',
  'resume-after-sigterm',
  'held-handles-after-sigterm',
  'tree-after-sigterm',
  'work-after-sigterm',
  'write-stable',
  'resume-after-sigkill',
  'held-handles-after-sigkill',
  'tree-after-sigkill',
  'work-after-sigkill',
  'unmount',
] as const;

const SHARE = '/export';
const CONFIG = { logLevel: 'info', shares: [{ name: SHARE, rootSquash: false, rootMode: 0o777 }] };

interface Restart {
  phase: string;
  signal: NodeJS.Signals;
  exitCode: number;
  /** From the signal to the new server accepting connections. */
  serverDownMs: number;
  /** Of which: until the old process was gone. */
  stopMs: number;
  /** From the PHASE line to the guest's RESUMED line. */
  guestBlockedMs?: number;
}

const mark = (port: number, phase: string): Promise<void> => markRestarted(port, SHARE, phase);

describeE2e('Linux kernel NFSv3 client across server restarts (lmdb + fs)', missingForGuest(), () => {
  let dir: string;
  let port: number;
  let server: DfsServer | undefined;
  let guest: GuestResult;
  let report: StepReport;
  const restarts: Restart[] = [];
  const serverLogs: string[] = [];
  let restartError: Error | undefined;
  let fsck: { status: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-restart-'));
    port = await freePort();
    server = await startDfs({ port, dataDir: dir, config: CONFIG });
    const phaseAt = new Map<string, number>();
    let chain = Promise.resolve();
    const restart = async (phase: string, signal: NodeJS.Signals): Promise<void> => {
      const t0 = Date.now();
      serverLogs.push(server!.logs());
      const exitCode = await server!.stop(signal);
      const stopMs = Date.now() - t0;
      server = await startDfs({ port, dataDir: dir, config: CONFIG });
      restarts.push({ phase, signal, exitCode, serverDownMs: Date.now() - t0, stopMs });
      await mark(port, phase);
    };
    guest = await runGuest({
      script: await readFile(join(import.meta.dirname, 'guest', 'kernel-restart.sh'), 'utf8'),
      env: { NFS_PORT: port, EXPORT: SHARE },
      modules: ['nfsv3'],
      timeoutSec: 300,
      logName: 'kernel-restart',
      onLine: (line) => {
        const p = /^PHASE (sigterm|sigkill)\b/.exec(line);
        if (p) {
          phaseAt.set(p[1], Date.now());
          chain = chain
            .then(() => restart(p[1], p[1] === 'sigterm' ? 'SIGTERM' : 'SIGKILL'))
            .catch((e: Error) => {
              restartError ??= e;
            });
        }
        const r = /^RESUMED (\S+)/.exec(line);
        const at = r ? phaseAt.get(r[1]) : undefined;
        const rec = r ? restarts.find((x) => x.phase === r[1]) : undefined;
        if (at !== undefined && rec) rec.guestBlockedMs = Date.now() - at;
      },
    });
    await chain;
    report = parseSteps(guest.log);
    serverLogs.push(server?.logs() ?? '');
    await server?.stop('SIGTERM');
    server = undefined;
    fsck = spawnSync(
      process.execPath,
      [...(await dfsCommand()), 'fsck', '--config', join(dir, 'config.yaml'), '--data-dir', join(dir, 'data')],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    console.info(
      'kernel-client restarts: ' +
        restarts
          .map(
            (r) =>
              `${r.signal}: server down ${r.serverDownMs} ms (stop ${r.stopMs} ms, exit ${r.exitCode}), ` +
              `guest blocked ${r.guestBlockedMs ?? '?'} ms`,
          )
          .join('; ') +
        '; guest: ' +
        guest.log
          .split('\n')
          .filter((l) => l.startsWith('RESUMED'))
          .join('; '),
    );
  }, 400_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const name of STEPS) {
    it(name, () => {
      const why = explainStep(report, name, guest.rc, guest.logFile);
      if (why) throw new Error(`${why}\n--- end of the server logs ---\n${serverLogs.join('\n').slice(-4000)}`);
    });
  }

  it('the host restarted the server twice: SIGTERM exits cleanly, SIGKILL kills', () => {
    expect(restartError).toBeUndefined();
    expect(restarts.map((r) => [r.phase, r.exitCode])).toEqual([
      ['sigterm', 0],
      ['sigkill', 137],
    ]);
  });

  it('the guest ran exactly the listed steps', () => {
    expect([...report.steps.keys()]).toEqual([...STEPS]);
  });

  it('dfs fsck finds the share clean afterwards', () => {
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.stdout).toMatch(/\/export: clean/);
  });
});
