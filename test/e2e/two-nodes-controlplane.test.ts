// Two `dfs start` processes on one PostgreSQL control-plane database act as
// one cluster (docs/control-plane.md "Several nodes"): a user, stores, a
// share and its permissions created through node A's REST API apply on node
// B without a restart. The share keeps its metadata in PostgreSQL and its
// content in one block directory, so both nodes serve the same files:
// written through A, read through B. A permission lowered on A is enforced
// by B; a share deleted on A is no longer mountable on B.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { authSys, MountTestClient, Nfs3TestClient } from '../protocol/helpers/nfs3-client.js';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../support/postgres.js';
import { freePort } from './process.js';
import { describeE2e } from './requirements.js';
import { startDfs, type DfsServer } from './server.js';

const SHARE = '/team';
const BOOTSTRAP_PASSWORD = 'e2e-bootstrap-pw';
const ADMIN_PASSWORD = 'e2e-admin-password';
/** Put in the database URL (trust auth ignores it) to check that no log shows it. */
const URL_PASSWORD = 'url-secret-9f3k';
const ALICE = authSys(1500, 1500);
const STRANGER = authSys(2500, 2500);
const FILE_SYNC = 2;
const MNT3ERR_ACCES = 13;
const NFS3ERR_ROFS = 30;
const NFS3ERR_ACCES = 13;

const unavailable = postgresUnavailable();

/** Retry `attempt` until `done` holds for its result (changes reach the other node within milliseconds). */
async function eventually<T>(what: string, attempt: () => Promise<T>, done: (r: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await attempt();
    if (done(r)) return r;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(r)} after ${ms} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describeE2e(
  'two dfs servers on one PostgreSQL control-plane database act as one cluster',
  unavailable ? [unavailable] : [],
  () => {
    let pg: RunningPostgres;
    let blocksDir: string;
    const nodes: { server: DfsServer; api: string }[] = [];
    const rpcs: RpcClient[] = [];
    let token = '';

    async function node(): Promise<{ server: DfsServer; api: string }> {
      const apiPort = await freePort();
      const server = await startDfs({
        config: {
          shares: [],
          api: { port: apiPort },
          database: {
            type: 'postgres',
            url: pg.url.replace('postgres@', `postgres:${URL_PASSWORD}@`),
            schema: 'cluster_cp',
          },
        },
        env: { DITTOFS_ADMIN_INITIAL_PASSWORD: BOOTSTRAP_PASSWORD },
      });
      return { server, api: `http://127.0.0.1:${apiPort}` };
    }

    async function call(api: string, method: string, path: string, body?: unknown): Promise<Response> {
      return fetch(`${api}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    }

    /** A REST call to node A that must succeed. */
    async function onA(method: string, path: string, body?: unknown): Promise<unknown> {
      const r = await call(nodes[0].api, method, path, body);
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.status === 204 ? undefined : r.json();
    }

    async function nfsOn(i: number, cred = ALICE): Promise<{ mount: MountTestClient; nfs: Nfs3TestClient }> {
      const rpc = await RpcClient.connect('127.0.0.1', nodes[i].server.port);
      rpcs.push(rpc);
      return { mount: new MountTestClient(rpc, cred), nfs: new Nfs3TestClient(rpc, cred) };
    }

    beforeAll(async () => {
      pg = await startPostgres();
      blocksDir = await mkdtemp(join(tmpdir(), 'dfs-cluster-blocks-'));
      // Both start at once on the empty database: one bootstraps admin, the other finds it.
      nodes.push(...(await Promise.all([node(), node()])));

      const login = (await onA('POST', '/api/v1/auth/login', { username: 'admin', password: BOOTSTRAP_PASSWORD })) as {
        accessToken: string;
      };
      token = login.accessToken;
      const changed = (await onA('POST', '/api/v1/auth/password', {
        currentPassword: BOOTSTRAP_PASSWORD,
        newPassword: ADMIN_PASSWORD,
      })) as { accessToken: string };
      token = changed.accessToken;

      await onA('POST', '/api/v1/users', { name: 'alice', password: 'alice-password-1', uid: 1500, gid: 1500 });
      await onA('POST', '/api/v1/stores/metadata', {
        name: 'pgmeta',
        type: 'postgres',
        settings: { url: pg.url, schema: 'cluster_meta' },
      });
      await onA('POST', '/api/v1/stores/block', { name: 'shared', type: 'fs', path: blocksDir });
      await onA('POST', '/api/v1/shares', { name: SHARE, metadataStore: 'pgmeta', blockStore: 'shared' });
      await onA('PUT', `/api/v1/shares${SHARE}/permissions`, { kind: 'user', name: 'alice', level: 'read-write' });
    }, 120_000);

    afterAll(async () => {
      await Promise.all(rpcs.map((r) => r.close()));
      await Promise.all(nodes.map((n) => n.server.stop()));
      await pg?.stop();
      if (blocksDir) await rm(blocksDir, { recursive: true, force: true });
    });

    it('a token issued by node A is accepted by node B (one signing secret)', async () => {
      const me = await call(nodes[1].api, 'GET', '/api/v1/auth/me');
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ name: 'admin', mustChangePassword: false });
    });

    it("node B lists the share created through node A's API", async () => {
      const r = await call(nodes[1].api, 'GET', `/api/v1/shares${SHARE}`);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ name: SHARE, source: 'api', exported: true });
    });

    it('a file written through node A is read through node B', async () => {
      const a = await nfsOn(0);
      const mntA = await a.mount.mnt(SHARE);
      expect(mntA.status).toBe(0);
      const data = randomBytes(100_000);
      const created = await a.nfs.create(mntA.fh!, 'report.bin', { mode: 'guarded', set: { mode: 0o644 } });
      expect(created.status).toBe(0);
      expect(await a.nfs.write(created.fh!, 0, data, FILE_SYNC)).toMatchObject({ status: 0, count: data.length });

      const b = await nfsOn(1);
      const mntB = await eventually(
        'MNT on B',
        () => b.mount.mnt(SHARE),
        (r) => r.status === 0,
      );
      expect(mntB.fh!.equals(mntA.fh!)).toBe(true);
      const found = await b.nfs.lookup(mntB.fh!, 'report.bin');
      expect(found.status).toBe(0);
      const r = await b.nfs.read(found.fh!, 0, data.length);
      expect(r.status).toBe(0);
      expect(r.data!.equals(data)).toBe(true);
    });

    it('node B refuses MNT to a caller without a permission on the share', async () => {
      const stranger = await nfsOn(1, STRANGER);
      expect((await stranger.mount.mnt(SHARE)).status).toBe(MNT3ERR_ACCES);
    });

    it('a permission lowered to read on node A is enforced by node B', async () => {
      const b = await nfsOn(1);
      const root = (await b.mount.mnt(SHARE)).fh!;
      expect((await b.nfs.create(root, 'before.txt', { mode: 'guarded', set: { mode: 0o644 } })).status).toBe(0);

      await onA('PUT', `/api/v1/shares${SHARE}/permissions`, { kind: 'user', name: 'alice', level: 'read' });
      const refused = await eventually(
        'write refused on B',
        () => b.nfs.create(root, `after-${Date.now()}.txt`, { mode: 'guarded', set: { mode: 0o644 } }),
        (r) => r.status !== 0,
      );
      expect([NFS3ERR_ROFS, NFS3ERR_ACCES]).toContain(refused.status);
      // Reading is still allowed.
      expect((await b.nfs.lookup(root, 'report.bin')).status).toBe(0);
    });

    it('a share deleted on node A can no longer be mounted on node B', async () => {
      await onA('DELETE', `/api/v1/shares${SHARE}`);
      const b = await nfsOn(1);
      const r = await eventually(
        'MNT refused on B',
        () => b.mount.mnt(SHARE),
        (x) => x.status !== 0,
      );
      expect(r.status).not.toBe(0);
    });

    it('neither node logged the password of the database URL', () => {
      for (const n of nodes) expect(n.server.logs()).not.toContain(URL_PASSWORD);
    });
  },
);
