// The kernel NFSv3 client against shares and permissions changed live with
// dfsctl, the real `dfs start` and its REST API (docs/control-plane.md):
// a share created with dfsctl is mountable without a restart; a read-only
// grant makes writes fail; a client outside the share's allowed networks
// gets neither NFS calls nor MNT, and mounts again once its network is
// allowed; a deleted share can no longer be mounted; after the I/O,
// /metrics shows the NFS operation counts.
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
  'mount',
  'io',
  'read-only-grant',
  'unmount',
  'remount',
  'other-network-refused',
  'allowed-network-mounts',
  'removed-share-not-mountable',
] as const;
const SHARE = '/live';
const BOOTSTRAP_PASSWORD = 'e2e-bootstrap-pw';

describeE2e('Linux kernel NFSv3 client with shares and permissions changed by dfsctl', missingForGuest(), () => {
  let server: DfsServer | undefined;
  let guest: GuestResult;
  let report: StepReport;
  let serverLog = '';
  let metrics = '';
  let ctlDir: string;
  const actions: string[] = [];

  beforeAll(async () => {
    ctlDir = await mkdtemp(join(tmpdir(), 'dfsctl-e2e-'));
    const apiPort = await freePort();
    server = await startDfs({
      config: { api: { port: apiPort }, shares: [{ name: '/export', metadata: 'memory', blocks: 'memory' }] },
      env: { DITTOFS_ADMIN_INITIAL_PASSWORD: BOOTSTRAP_PASSWORD },
    });
    const ctl = (args: string[], stdin?: string) => runDfsctl(apiPort, ctlDir, args, stdin);
    await loginAsAdmin(apiPort, ctlDir, BOOTSTRAP_PASSWORD);
    await ctl(['store', 'create', 'metadata', 'meta', '--type', 'memory']);
    await ctl(['store', 'create', 'block', 'disk', '--type', 'fs']);
    await ctl(['share', 'create', SHARE, '--metadata', 'meta', '--blocks', 'disk', '--no-root-squash']);

    const script = await readFile(join(import.meta.dirname, 'guest', 'kernel-controlplane.sh'), 'utf8');
    const pending: Promise<unknown>[] = [];
    guest = await runGuest({
      script,
      env: { NFS_PORT: server.port, EXPORT: SHARE },
      modules: ['nfsv3'],
      timeoutSec: 240,
      logName: 'kernel-controlplane',
      onLine(line) {
        if (line.includes('PHASE grant-read')) {
          actions.push('grant-read');
          pending.push(
            ctl(['permission', 'grant', SHARE, 'read', '--user', 'admin']).catch((e: Error) => actions.push(e.message)),
          );
        } else if (line.includes('PHASE restrict-clients')) {
          actions.push('restrict-clients');
          // TEST-NET-1 (RFC 5737): a network the guest is never seen from.
          pending.push(
            ctl(['share', 'update', SHARE, '--allowed-clients', '192.0.2.0/24']).catch((e: Error) =>
              actions.push(e.message),
            ),
          );
        } else if (line.includes('PHASE allow-clients')) {
          actions.push('allow-clients');
          // Through slirp the server sees the guest as 127.0.0.1.
          pending.push(
            ctl(['share', 'update', SHARE, '--allowed-clients', '192.0.2.0/24,127.0.0.0/8']).catch((e: Error) =>
              actions.push(e.message),
            ),
          );
        } else if (line.includes('PHASE remove')) {
          actions.push('remove');
          pending.push(ctl(['share', 'delete', SHARE]).catch((e: Error) => actions.push(e.message)));
        }
      },
    });
    await Promise.all(pending);
    report = parseSteps(guest.log);
    metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
    serverLog = server.logs();
    await server.stop();
    server = undefined;
  });

  afterAll(async () => {
    await server?.stop();
    await rm(ctlDir, { recursive: true, force: true });
  });

  for (const name of STEPS) {
    it(name, () => {
      const why = explainStep(report, name, guest.rc, guest.logFile);
      if (why) throw new Error(`${why}\nhost actions: ${actions.join(', ')}\n--- server log ---\n${tail(serverLog)}`);
    });
  }

  it('the host ran dfsctl at each phase', () => {
    expect(actions).toEqual(['grant-read', 'restrict-clients', 'allow-clients', 'remove']);
  });

  it('/metrics shows the NFS operations of the mount and the I/O', () => {
    for (const op of ['WRITE', 'READ', 'CREATE', 'GETATTR']) {
      expect(metrics).toMatch(new RegExp(`dfs_operations_total\\{protocol="nfs3",op="${op}",status="0"\\} [1-9]`));
    }
    // The refused writes of the read-only phase are counted with NFS3ERR_ROFS (30) or ACCES (13).
    expect(metrics).toMatch(/dfs_operations_total\{protocol="nfs3",op="CREATE",status="(30|13)"\} [1-9]/);
    // The calls refused while the guest's network was excluded: NFS3ERR_ACCES (13).
    expect(metrics).toMatch(
      /dfs_operations_total\{protocol="nfs3",op="(LOOKUP|GETATTR|ACCESS|READ)",status="13"\} [1-9]/,
    );
  });
});
