// The Linux kernel's NFSv3 client (Debian's kernel in a qemu guest) against
// the real `dfs start`: one guest boot runs guest/kernel-nfs3.sh, and every
// step it reports becomes one test here.
//
// Shares: /open has rootSquash: false, so guest root acts as root on the
// server (chown, creating root-owned files for the permission checks of uid
// 1000/1001). /export keeps the default rootSquash: true and checks that
// guest root is mapped to 65534 while ordinary uids are kept.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2e, missingForGuest } from './requirements.js';
import { startServerUnderTest, tail, SERVER_KIND, type ServerUnderTest } from './server-under-test.js';
import { runGuest, type GuestResult } from './vm/harness.js';
import { explainStep, parseSteps, type StepReport } from './vm/steps.js';

const STEPS = [
  'mount',
  'big-file-64mib',
  'append',
  'truncate',
  'mkdir-depth-20',
  'readdir-2000-files',
  'rename',
  'hard-links',
  'symlinks',
  'chmod-chown',
  'permissions',
  'rm-tree',
  'remount',
  'mount-root-squash',
  'root-squash-owner',
  'root-squash-user-create',
  'unmount',
] as const;

const OPEN_SHARE = '/open';
const SQUASH_SHARE = '/export';

describeE2e(`Linux kernel NFSv3 client against ${SERVER_KIND}`, missingForGuest(), () => {
  let server: ServerUnderTest | undefined;
  let guest: GuestResult;
  let report: StepReport;
  let serverExit: number | undefined;
  let serverLog = '';

  beforeAll(async () => {
    server = await startServerUnderTest(
      [
        { name: SQUASH_SHARE, rootSquash: true, blocks: 'memory' },
        { name: OPEN_SHARE, rootSquash: false, blocks: 'fs' },
      ],
      'kernel-nfs3',
    );
    const script = await readFile(join(import.meta.dirname, 'guest', 'kernel-nfs3.sh'), 'utf8');
    guest = await runGuest({
      script,
      env: {
        NFS_PORT: server.port,
        MOUNT_PORT: server.mountPort,
        EXPORT_OPEN: OPEN_SHARE,
        EXPORT_SQUASH: SQUASH_SHARE,
      },
      modules: ['nfsv3'],
      timeoutSec: 300,
      logName: 'kernel-nfs3',
    });
    report = parseSteps(guest.log);
    serverLog = await server.logs();
    serverExit = await server.stop();
    server = undefined;
  });

  afterAll(async () => {
    await server?.stop();
  });

  for (const name of STEPS) {
    it(name, () => {
      const why = explainStep(report, name, guest.rc, guest.logFile);
      if (why) throw new Error(`${why}\n--- last lines of the ${SERVER_KIND} server log ---\n${tail(serverLog)}`);
    });
  }

  it('the guest ran exactly the listed steps', () => {
    expect([...report.steps.keys()]).toEqual([...STEPS]);
  });

  it('the server stops cleanly on SIGTERM after the workload', () => {
    expect(serverExit).toBe(0);
  });
});
