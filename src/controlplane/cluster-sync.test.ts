import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../test/support/postgres.js';
import { nodeIdOf, SerialQueue } from './cluster-sync.js';
import { parseConfig } from './config.js';
import { startServer, type DittoServer } from './server.js';

const unavailable = postgresUnavailable();
const SCHEMA = 'cp_cluster';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 3000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

describe('SerialQueue', () => {
  it('runs jobs one at a time in order, and a failure does not stop the next', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const job =
      (tag: string, fail = false) =>
      async () => {
        log.push(`${tag}+`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`${tag}-`);
        if (fail) throw new Error(tag);
        return tag;
      };
    const results = await Promise.allSettled([q.run(job('a')), q.run(job('b', true)), q.run(job('c'))]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('nodeIdOf', () => {
  it('creates the id once and returns the same one afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-node-id-'));
    try {
      const [a, b] = await Promise.all([nodeIdOf(join(dir, 'data')), nodeIdOf(join(dir, 'data'))]);
      expect(a).toMatch(/-[0-9a-f]{8}$/);
      expect(b).toBe(a);
      expect((await readFile(join(dir, 'data', 'node-id'), 'utf8')).trim()).toBe(a);
      expect(await nodeIdOf(join(dir, 'data'))).toBe(a);
      expect(await nodeIdOf(join(dir, 'other'))).not.toBe(a);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(unavailable !== undefined)(
  `two nodes on one PostgreSQL control-plane database${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let pgServer: RunningPostgres | undefined;
    const dirs: string[] = [];
    let a: DittoServer;
    let b: DittoServer;

    async function node(resyncMs: number): Promise<DittoServer> {
      const dataDir = await mkdtemp(join(tmpdir(), 'dfs-cluster-'));
      dirs.push(dataDir);
      const config = parseConfig(
        {
          host: '127.0.0.1',
          port: 0,
          logLevel: 'silent',
          shares: [{ name: '/export', metadata: 'memory', blocks: 'memory' }],
          api: { enabled: false },
          database: { type: 'postgres', url: pgServer!.url, schema: SCHEMA },
        },
        { dataDir },
      );
      return startServer(config, { adminPassword: 'cluster-admin-pw', clusterResyncMs: resyncMs });
    }

    beforeAll(async () => {
      pgServer = await startPostgres();
      // Both start at once on an empty database: one bootstraps, the other finds admin and the JWT secret.
      // A reconciles every 300 ms (the fallback test); B only every minute, so
      // whatever reaches B within the tests' time was carried by a notification.
      [a, b] = await Promise.all([node(300), node(60_000)]);
      await a.controlPlane.createStore({ kind: 'metadata', name: 'mem', type: 'memory' });
      await a.controlPlane.createStore({ kind: 'block', name: 'mem', type: 'memory' });
    }, 60_000);

    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await pgServer?.stop();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    });

    it('both nodes started with one admin and one signing secret', async () => {
      expect((await a.controlPlane.listUsers()).map((u) => u.name)).toEqual(['admin']);
      const tokens = await a.controlPlane.login('admin', 'cluster-admin-pw', '127.0.0.1');
      // A token issued by A is accepted by B.
      expect((await b.controlPlane.refresh(tokens.refreshToken)).tokenType).toBe('Bearer');
      expect(a.clusterSync).not.toBeNull();
    });

    it('a share created on A is exported on B within a second; its options follow', async () => {
      await a.controlPlane.createShare({ name: '/team', metadataStore: 'mem', blockStore: 'mem' });
      expect(a.runtime.shares.byName('/team')).toBeDefined();
      // Within a second (B's periodic pass is a minute away: this is the NOTIFY).
      await until('exported on B', () => b.runtime.shares.byName('/team') !== undefined, 1000);
      expect((await b.controlPlane.getShare('/team')).exported).toBe(true);

      await a.controlPlane.updateShare('/team', { readOnly: true, allowedClients: ['10.0.0.0/8'] });
      await until('options on B', () => b.runtime.shares.byName('/team')?.options.readOnly === true);
      expect(b.runtime.shares.byName('/team')?.options.allowedClients).toEqual(['10.0.0.0/8']);
    });

    it("a permission set on A is enforced by B's permission index", async () => {
      await a.controlPlane.createShare({ name: '/perm', metadataStore: 'mem', blockStore: 'mem' });
      await until('exported on B', () => b.runtime.shares.byName('/perm') !== undefined);
      await a.controlPlane.createUser({ name: 'carol', password: 'carol-password-1', uid: 2001 });
      const carol = { uid: 2001, gid: 2001, gids: [] };
      const other = { uid: 3000, gid: 3000, gids: [] };
      const share = b.runtime.shares.byName('/perm')!;
      expect(b.controlPlane.permissions.authorize(share, other, { address: '127.0.0.1' })).toBe('write');

      await a.controlPlane.setPermission({ share: '/perm', kind: 'user', principal: 'carol', level: 'read' });
      await until(
        'read on B',
        () => b.controlPlane.permissions.authorize(share, carol, { address: '127.0.0.1' }) === 'read',
      );
      expect(b.controlPlane.permissions.authorize(share, other, { address: '127.0.0.1' })).toBe('none');

      await a.controlPlane.createGroup({ name: 'eng', gid: 4000 });
      await a.controlPlane.setPermission({ share: '/perm', kind: 'group', principal: 'eng', level: 'read-write' });
      await until(
        'group on B',
        () => b.controlPlane.permissions.level('/perm', { uid: 9, gid: 4000, gids: [] }) === 'read-write',
      );

      await a.controlPlane.deleteUser('carol', 'admin');
      await until(
        'user gone on B',
        () => b.controlPlane.permissions.authorize(share, carol, { address: '127.0.0.1' }) === 'none',
      );
    });

    it('a share deleted on A stops being exported on B', async () => {
      await a.controlPlane.createShare({ name: '/gone', metadataStore: 'mem', blockStore: 'mem' });
      await until('exported on B', () => b.runtime.shares.byName('/gone') !== undefined);
      await a.controlPlane.deleteShare('/gone');
      await until('removed on B', () => b.runtime.shares.byName('/gone') === undefined);
      await expect(b.controlPlane.getShare('/gone')).rejects.toMatchObject({ status: 404 });
    });

    it('changes made on B reach A too', async () => {
      await b.controlPlane.createShare({ name: '/from-b', metadataStore: 'mem', blockStore: 'mem' });
      await until('exported on A', () => a.runtime.shares.byName('/from-b') !== undefined);
      await b.controlPlane.deleteShare('/from-b');
      await until('removed on A', () => a.runtime.shares.byName('/from-b') === undefined);
    });

    it("a node's own reconcile never exports a share its API is still exporting", async () => {
      // Slow exports on A: a reconcile requested after the database has the
      // share but before A's API exported it must wait instead of exporting it too.
      const runtime = a.runtime;
      const original = runtime.addShare.bind(runtime);
      let exports = 0;
      runtime.addShare = async (sc) => {
        exports++;
        await new Promise((r) => setTimeout(r, 50));
        return original(sc);
      };
      const names = ['/burst0', '/burst1', '/burst2'];
      try {
        for (const name of names) {
          const created = a.controlPlane.createShare({ name, metadataStore: 'mem', blockStore: 'mem' });
          await until('in the database', async () => (await a.controlPlane.store.getShare(name)) !== undefined);
          const reconciled = a.clusterSync!.request({ permissions: true, shares: true });
          await created;
          await reconciled;
        }
      } finally {
        runtime.addShare = original;
      }
      expect(exports).toBe(names.length);
      for (const name of names) expect((await a.controlPlane.getShare(name)).exported).toBe(true);
      await until('all on B', () => names.every((n) => b.runtime.shares.byName(n) !== undefined));
      for (const name of names) await a.controlPlane.deleteShare(name);
      await until('none on B', () => names.every((n) => b.runtime.shares.byName(n) === undefined));
    });

    it('a change whose notification was lost is applied by the periodic reconcile', async () => {
      // Written behind the nodes' backs: no NOTIFY.
      const c = new pg.Client(pgServer!.url);
      await c.connect();
      try {
        await c.query(
          `INSERT INTO ${SCHEMA}.shares (name, metadata_store, block_store, options, created_at) VALUES ($1, 'mem', 'mem', $2, $3)`,
          [
            '/silent',
            JSON.stringify({
              readOnly: false,
              rootSquash: true,
              allSquash: false,
              anonUid: 65534,
              anonGid: 65534,
              requirePrivilegedPort: false,
              allowedClients: [],
            }),
            new Date().toISOString(),
          ],
        );
      } finally {
        await c.end();
      }
      await until('exported on A', () => a.runtime.shares.byName('/silent') !== undefined);
      // B, whose period is a minute, has not heard of it: nothing announced it.
      expect(b.runtime.shares.byName('/silent')).toBeUndefined();
      await a.controlPlane.deleteShare('/silent');
    });

    it('adapter settings stay per node', async () => {
      await a.controlPlane.updateAdapter('nfs', { enabled: false });
      expect(a.runtime.nfsListening).toBe(false);
      await new Promise((r) => setTimeout(r, 400));
      expect(b.runtime.nfsListening).toBe(true);
      expect((await b.controlPlane.getAdapter('nfs')).enabled).toBe(true);
      await a.controlPlane.updateAdapter('nfs', { enabled: true });
    });
  },
);
