// The Linux kernel's NLM client (fcntl locks on an NFSv3 mount) against the
// real `dfs start`, with rpcbind and rpc.statd in the guest and a TAP network
// in a namespace this suite creates, so the server can call the guest back
// (NLM_GRANTED, SM_NOTIFY). One guest boot runs guest/kernel-nlm.sh; each step
// it reports is one test. Steps that need the host print "DFS-ACTION name
// port": the host acts (restarts the server, locks as a second host with
// vm/nlm-probe.ts, sends SM_NOTIFY) and then connects to the guest's port as
// the signal to go on.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeE2e, missingForGuest, which } from './requirements.js';
import { REPO_ROOT, startDfs, type DfsServer } from './server.js';
import { tail } from './server-under-test.js';
import { GUEST_LOG_DIR, runGuest, type GuestResult } from './vm/harness.js';
import { missingForStatd, statdGuestFiles } from './vm/statd.js';
import { explainStep, parseSteps, type StepReport } from './vm/steps.js';

const STEPS = [
  'statd',
  'mount',
  'setlk-conflict',
  'setlkw-granted',
  'getlk-holder',
  'unlock-middle',
  'restart-reclaim',
  'notify-releases',
  'unmount',
] as const;

const NETNS_SCRIPT = resolve(REPO_ROOT, 'scripts', 'e2e', 'netns.sh');
const PROBE = resolve(import.meta.dirname, 'vm', 'nlm-probe.ts');
const GUEST_IP = '192.168.77.2';
const EXPORT = '/export';
const GRACE_SECONDS = 10;
/** nlm4_stats */
const GRANTED = 0;
const DENIED = 1;
const DENIED_GRACE_PERIOD = 4;

const isRoot = process.getuid?.() === 0;
const describeRoot = isRoot
  ? describeE2e
  : (name: string, _missing: string[], body: () => void) => describe.skip(`${name} (skipped: needs root)`, body);

describeRoot(
  'Linux kernel NLM client (fcntl locks) against dfs',
  [...missingForGuest(), ...missingForStatd(), ...(which('ip') ? [] : ['ip (apt package iproute2)'])],
  () => {
    const netns = `dfs-nlm-${process.pid}`;
    let dataDir: string;
    let server: DfsServer | undefined;
    let port = 0;
    let restartedAt = 0;
    let guest: GuestResult;
    let report: StepReport;
    const serverLogs: string[] = [];
    const results: Record<string, number | string> = {};
    const actionErrors: string[] = [];

    const startServer = async () => {
      server = await startDfs({
        netns,
        host: '0.0.0.0',
        port: port || undefined,
        dataDir,
        config: {
          portmapPort: 111,
          lockGraceSeconds: GRACE_SECONDS,
          shares: [{ name: EXPORT, metadata: { type: 'lmdb' }, blocks: { type: 'fs' }, rootSquash: false }],
        },
      });
      port = server.port;
    };
    const stopServer = async () => {
      if (!server) return;
      const s = server;
      server = undefined;
      serverLogs.push(s.logs());
      await s.stop();
    };

    /** One call of vm/nlm-probe.ts inside the namespace (where the server listens). */
    const probe = async (...args: (string | number)[]): Promise<number | string> => {
      const r = await promisify(execFile)(
        'ip',
        ['netns', 'exec', netns, process.execPath, '--import', 'tsx', PROBE, ...args.map(String)],
        { cwd: REPO_ROOT, timeout: 60_000 },
      ).catch((e: { stdout?: string; message: string }) => ({ stdout: e.stdout ?? `{"error":"${e.message}"}` }));
      const j = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
        status?: number;
        ok?: boolean;
        error?: string;
      };
      return j.status ?? (j.ok ? 'ok' : `error: ${j.error}`);
    };

    /** The host's "go on": connect to the port the guest listens on. */
    const signalGuest = async (guestPort: number) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const r = spawnSync('ip', ['netns', 'exec', netns, 'busybox', 'nc', '-w', '2', GUEST_IP, String(guestPort)], {
          encoding: 'utf8',
          input: '',
          timeout: 5000,
        });
        if ((r.stdout ?? '').includes('done')) return;
        await new Promise((res) => setTimeout(res, 300));
      }
      actionErrors.push(`guest did not listen on ${guestPort}`);
    };

    const actions: Record<string, () => Promise<void>> = {
      async restart() {
        // A second host's lock that nobody reclaims after the restart: grace
        // ends early once all earlier state is reclaimed, so this keeps the
        // server in grace for its full length (and is dropped when it ends).
        results.gonePeerLock = await probe('lock', port, EXPORT, 'lockfile', 5000, 10);
        await stopServer();
        await startServer();
        restartedAt = Date.now();
        // Straight after the start the server is in grace: a lock that is not a reclaim, and TEST, are refused.
        results.inGraceLock = await probe('lock', port, EXPORT, 'lockfile', 50, 10);
        results.inGraceTest = await probe('test', port, EXPORT, 'lockfile', 50, 10);
      },
      async 'after-grace'() {
        // The guest's lock was reclaimed during grace, so it is enforced after it.
        const graceEnd = restartedAt + GRACE_SECONDS * 1000 + 1000;
        if (Date.now() < graceEnd) await new Promise((r) => setTimeout(r, graceEnd - Date.now()));
        results.afterGrace = await probe('test', port, EXPORT, 'lockfile', 50, 10);
      },
      async 'probe-lock'() {
        results.probeLock = await probe('lock', port, EXPORT, 'lockfile', 1000, 50);
      },
      async 'probe-unlock'() {
        results.probeUnlock = await probe('unlock', port, EXPORT, 'lockfile', 1000, 50);
      },
      async notify() {
        results.beforeNotify = await probe('test', port, EXPORT, 'lockfile', 0, 100);
        results.notify = await probe('notify', port, 'dfs-guest', 1001);
        results.afterNotify = await probe('test', port, EXPORT, 'lockfile', 0, 100);
        results.lockAfterNotify = await probe('lock', port, EXPORT, 'lockfile', 0, 100);
        await probe('unlock', port, EXPORT, 'lockfile', 0, 100);
      },
    };

    beforeAll(async () => {
      const up = spawnSync(NETNS_SCRIPT, ['up', netns], { encoding: 'utf8' });
      if (up.status !== 0) throw new Error(`netns.sh up failed: ${up.stderr}`);
      dataDir = await mkdtemp(join(tmpdir(), 'dfs-nlm-'));
      await startServer();
      const script = await readFile(join(import.meta.dirname, 'guest', 'kernel-nlm.sh'), 'utf8');
      let queue = Promise.resolve();
      guest = await runGuest({
        script,
        files: await statdGuestFiles(),
        env: { NFS_PORT: port, EXPORT },
        modules: ['nfsv3'],
        net: { mode: 'tap', netns },
        timeoutSec: 420,
        logName: 'kernel-nlm',
        onLine(line) {
          const m = /^DFS-ACTION (\S+) (\d+)$/.exec(line);
          if (!m) return;
          const [, name, guestPort] = m;
          queue = queue.then(async () => {
            try {
              await actions[name!]?.();
            } catch (e) {
              actionErrors.push(`${name}: ${(e as Error).message}`);
            }
            await signalGuest(Number(guestPort));
          });
        },
      });
      await queue;
      report = parseSteps(guest.log);
      await stopServer();
      await writeFile(join(GUEST_LOG_DIR, 'kernel-nlm.server.log'), serverLogs.join('\n--- restart ---\n'));
    });

    afterAll(async () => {
      await stopServer();
      spawnSync(NETNS_SCRIPT, ['down', netns]);
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    for (const name of STEPS) {
      it(name, () => {
        const why = explainStep(report, name, guest.rc, guest.logFile);
        if (why) throw new Error(`${why}\n--- last lines of the server log ---\n${tail(serverLogs.join('\n'))}`);
      });
    }

    it('the host actions ran without errors', () => {
      expect(actionErrors).toEqual([]);
    });

    it('a lock and TEST from another host during grace get DENIED_GRACE_PERIOD', () => {
      expect(results).toMatchObject({
        gonePeerLock: GRANTED,
        inGraceLock: DENIED_GRACE_PERIOD,
        inGraceTest: DENIED_GRACE_PERIOD,
      });
    });

    it('after grace, the lock the guest reclaimed is enforced against another host', () => {
      expect(results.afterGrace).toBe(DENIED);
    });

    it('the restarted server sent SM_NOTIFY to the guest with its new state', () => {
      const second = serverLogs[1] ?? '';
      expect(second).toMatch(/nsm: peer notified/);
    });

    it("another host's lock is granted and reported to the guest's F_GETLK", () => {
      expect(results).toMatchObject({ probeLock: GRANTED, probeUnlock: GRANTED });
    });

    it("SM_NOTIFY with a new state releases the host's locks", () => {
      expect(results).toMatchObject({
        beforeNotify: DENIED,
        notify: 'ok',
        afterNotify: GRANTED,
        lockAfterNotify: GRANTED,
      });
    });

    it('the guest ran exactly the listed steps', () => {
      expect([...report.steps.keys()]).toEqual([...STEPS]);
    });
  },
);
