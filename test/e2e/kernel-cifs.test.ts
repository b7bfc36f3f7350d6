// The Linux kernel's CIFS client (Debian's kernel in a qemu guest) against
// the real `dfs start` with the SMB adapter on: one guest boot runs
// guest/kernel-cifs.sh, which mounts the share over SMB 3.1.1 as a user with
// a read-write grant and does file work (32 MiB write/read, 1,000 files,
// mkdir -p, renames, rm, truncate, append, stat), mounts as a user with a
// read grant and is refused every change, remounts, reads and writes the
// same files through a kernel NFSv3 mount of the same share (an NFS rename
// must break the SMB client's leases so it sees the new name), and mounts over
// SMB 2.1 and 3.0 signed and 3.1.1 sealed. Every step the guest reports is
// one test here.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from './process.js';
import { describeE2e, missingForGuest } from './requirements.js';
import { tail } from './server-under-test.js';
import { startDfs, type DfsServer } from './server.js';
import { loginAsAdmin, runDfsctl } from './dfsctl.js';
import { runGuest, type GuestResult } from './vm/harness.js';
import { explainStep, parseSteps, type StepReport } from './vm/steps.js';

const STEPS = [
  'mount-3.1.1',
  'big-file-32mib',
  'small-files-1000',
  'mkdir-p',
  'rename',
  'rm',
  'truncate',
  'append',
  'stat-size-mtime',
  'read-only-grant',
  'remount',
  'cross-protocol-nfs',
  'nfs-rename-seen-over-smb',
  'nfs-unmount',
  'vers-2.1-sign',
  'vers-3.0-sign',
  'vers-3.1.1-seal',
  'unmount',
] as const;

/**
 * Steps that fail today, each with the reason. The test fails when one of
 * them starts passing, so the list stays true: move it to STEPS then.
 */
const KNOWN_GAPS: Record<string, string> = {};

const EXPORT = '/export';
const BOOTSTRAP_PASSWORD = 'e2e-bootstrap-pw';
const RW = { name: 'alice', password: 'alice-cifs-pw', uid: 1000 };
const RO = { name: 'bob', password: 'bob-cifs-pw', uid: 1001 };
// SMB3 signing and encryption need these loaded before the first mount.
const SMB3_CRYPTO = ['gcm', 'ccm', 'cmac', 'ctr', 'ghash-generic', 'aesni-intel', 'sha512-generic'];

describeE2e('Linux kernel CIFS client against dfs over SMB 2.1-3.1.1', missingForGuest(), () => {
  let server: DfsServer | undefined;
  let guest: GuestResult;
  let report: StepReport;
  let serverLog = '';
  let metrics = '';
  let ctlDir: string;

  beforeAll(async () => {
    ctlDir = await mkdtemp(join(tmpdir(), 'dfsctl-cifs-'));
    const apiPort = await freePort();
    const smbPort = await freePort();
    server = await startDfs({
      config: {
        api: { port: apiPort },
        smb: { enabled: true, port: smbPort },
        shares: [{ name: EXPORT, metadata: 'memory', blocks: 'memory' }],
      },
      env: { DITTOFS_ADMIN_INITIAL_PASSWORD: BOOTSTRAP_PASSWORD },
    });
    const ctl = (args: string[], stdin?: string) => runDfsctl(apiPort, ctlDir, args, stdin);
    await loginAsAdmin(apiPort, ctlDir, BOOTSTRAP_PASSWORD);
    for (const u of [RW, RO]) {
      await ctl(['user', 'create', u.name, '--uid', String(u.uid), '--password-stdin'], `${u.password}\n`);
    }
    // Once a share has permission rows, only listed users get in: the guest's
    // root over NFS is the control-plane user admin (uid 0).
    await ctl(['permission', 'grant', EXPORT, 'read-write', '--user', RW.name]);
    await ctl(['permission', 'grant', EXPORT, 'read', '--user', RO.name]);
    await ctl(['permission', 'grant', EXPORT, 'read-write', '--user', 'admin']);

    const script = await readFile(join(import.meta.dirname, 'guest', 'kernel-cifs.sh'), 'utf8');
    guest = await runGuest({
      script,
      env: {
        SMB_PORT: smbPort,
        NFS_PORT: server.port,
        SHARE: EXPORT.slice(1),
        EXPORT,
        RW_USER: RW.name,
        RW_PASS: RW.password,
        RO_USER: RO.name,
        RO_PASS: RO.password,
      },
      modules: ['cifs', 'nfsv3', ...SMB3_CRYPTO],
      timeoutSec: 300,
      logName: 'kernel-cifs',
    });
    report = parseSteps(guest.log);
    metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
    serverLog = server.logs();
    await server.stop();
    server = undefined;
  });

  afterAll(async () => {
    await server?.stop();
    if (ctlDir) await rm(ctlDir, { recursive: true, force: true });
  });

  for (const name of STEPS) {
    it(name, () => {
      const why = explainStep(report, name, guest.rc, guest.logFile);
      if (why) throw new Error(`${why}\n--- server log ---\n${tail(serverLog)}`);
    });
  }

  for (const [name, reason] of Object.entries(KNOWN_GAPS)) {
    it(`${name} (known gap: ${reason})`, () => {
      const step = report.steps.get(name);
      expect(step, `step ${name} did not run`).toBeDefined();
      expect(step!.ok, `${name} passes now: move it from KNOWN_GAPS to STEPS`).toBe(false);
    });
  }

  it('the `sign` mounts made signing sessions (2.1 and 3.0), the others did not ask for it', () => {
    const sessions = serverLog
      .split('\n')
      .filter((l) => l.includes('SMB session established'))
      .map((l) => JSON.parse(l) as { user: string; dialect: string; signing: boolean });
    const signed = sessions.filter((x) => x.signing).map((x) => x.dialect);
    expect(signed.sort()).toEqual(['0x210', '0x300']);
    expect(sessions.filter((x) => x.dialect === '0x311' && x.user === RO.name)).toHaveLength(1);
  });

  it('/metrics shows the SMB2 operations of the mounts', () => {
    for (const op of ['negotiate', 'session_setup', 'tree_connect', 'create', 'write', 'read', 'query_info']) {
      expect(metrics).toMatch(new RegExp(`dfs_operations_total\\{protocol="smb2",op="${op}",status="0"\\} [1-9]`));
    }
  });
});
