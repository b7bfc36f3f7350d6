import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../../test/support/postgres.js';
import { ROOT_ID } from '../../core/types.js';
import { sampleInode } from '../../storage/metadata/conformance.js';
import { PostgresMetadataStore } from '../../storage/metadata/postgres/postgres-store.js';
import { runControlPlaneStoreConformance } from './conformance.js';
import { MIGRATIONS } from './migrations.js';
import { channelOf, PostgresControlPlaneStore, type PostgresControlPlaneStoreOptions } from './postgres-store.js';
import type { StoreChange } from './types.js';

// Throws under DFS_REQUIRE_E2E=1 when PostgreSQL is missing; otherwise the reason to skip.
const unavailable = postgresUnavailable();

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(unavailable !== undefined)(
  `PostgresControlPlaneStore${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let server: RunningPostgres | undefined;
    let url = '';
    let fresh = 0;
    const opened: PostgresControlPlaneStore[] = [];

    beforeAll(async () => {
      server = await startPostgres();
      url = server.url;
    }, 60_000);
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await server?.stop();
    });

    async function open(o: Partial<PostgresControlPlaneStoreOptions> = {}): Promise<PostgresControlPlaneStore> {
      const s = await PostgresControlPlaneStore.open({ url, schema: `cp_t${++fresh}`, ...o });
      opened.push(s);
      return s;
    }

    // A named database is a schema of that name. A fresh one is the schema
    // cp_conf emptied (faster than migrating a new schema for every test).
    runControlPlaneStoreConformance('postgres', async (o = {}) => {
      if (o.db !== undefined)
        return PostgresControlPlaneStore.open({ url, schema: `cp_${o.db}`, migrations: o.migrations });
      const s = await PostgresControlPlaneStore.open({ url, schema: 'cp_conf' });
      const c = new pg.Client(url);
      await c.connect();
      try {
        await c.query(
          'TRUNCATE cp_conf.settings, cp_conf.users, cp_conf.groups, cp_conf.memberships, cp_conf.stores, cp_conf.shares, cp_conf.share_permissions, cp_conf.adapters',
        );
      } finally {
        await c.end();
      }
      return s;
    });

    it('two nodes opening an empty database at once apply each migration once', async () => {
      const [a, b] = await Promise.all([open({ schema: 'cp_race' }), open({ schema: 'cp_race' })]);
      expect(await a.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await b.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
      await a.createUser({
        name: 'u',
        passwordHash: 'h',
        role: 'user',
        uid: 1,
        gid: 1,
        enabled: true,
        mustChangePassword: false,
      });
      expect((await b.getUser('u'))?.uid).toBe(1);
    });

    it('tables live in the configured schema only', async () => {
      await open({ schema: 'Cp_Mixed' });
      const c = new pg.Client(url);
      await c.connect();
      try {
        const r = await c.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'Cp_Mixed' ORDER BY table_name",
        );
        expect(r.rows.map((x) => x.table_name)).toEqual([
          'adapters',
          'groups',
          'memberships',
          'schema_migrations',
          'settings',
          'share_permissions',
          'shares',
          'stores',
          'users',
        ]);
        const pub = await c.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'");
        expect(pub.rows).toEqual([]);
      } finally {
        await c.end();
      }
    });

    it("refuses a schema that holds the metadata store's tables", async () => {
      const meta = new PostgresMetadataStore({ connectionString: url, schema: 'cp_shared_with_meta' });
      await meta.open({ rootInode: sampleInode(ROOT_ID, { type: 'dir', mode: 0o755, nlink: 2, parent: ROOT_ID }) });
      await meta.close();
      await expect(PostgresControlPlaneStore.open({ url, schema: 'cp_shared_with_meta' })).rejects.toThrowError(
        /holds the tables of another database/,
      );
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(PostgresControlPlaneStore.open({ url, schema: 'x; DROP TABLE y' })).rejects.toThrowError(
        /invalid control-plane schema name/,
      );
    });

    it('an unreachable database fails without showing the password of the URL', async () => {
      const bad = url.replace('postgres@', 'postgres:hunter2secret@').replace(/:(\d+)\//, ':1/');
      const err = await PostgresControlPlaneStore.open({ url: bad }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(Error);
      expect(String(err?.message)).not.toContain('hunter2secret');
      expect(JSON.stringify(err)).not.toContain('hunter2secret');
    });

    it('adapter settings are per node: each node sees only its own', async () => {
      const a = await open({ schema: 'cp_nodes', nodeId: 'node-a' });
      const b = await open({ schema: 'cp_nodes', nodeId: 'node-b' });
      await a.putAdapter({ name: 'nfs', enabled: false, port: 2049 });
      expect(await b.getAdapter('nfs')).toBeUndefined();
      expect(await b.listAdapters()).toEqual([]);
      await b.putAdapter({ name: 'nfs', enabled: true, port: 3049 });
      expect(await a.getAdapter('nfs')).toEqual({ name: 'nfs', enabled: false, port: 2049 });
      expect(await b.listAdapters()).toEqual([{ name: 'nfs', enabled: true, port: 3049 }]);
    });

    describe('watch', () => {
      it('reports committed changes of every node, telling its own apart, and names what changed but no value', async () => {
        const a = await open({ schema: 'cp_watch' });
        const b = await open({ schema: 'cp_watch' });
        const seen: StoreChange[] = [];
        const stop = await b.watch((c) => seen.push(c));
        await a.createShare({
          name: '/s',
          metadataStore: 'm',
          blockStore: 'b',
          options: {
            readOnly: false,
            rootSquash: true,
            allSquash: false,
            anonUid: 65534,
            anonGid: 65534,
            requirePrivilegedPort: false,
            allowedClients: [],
          },
        });
        await a.setSetting('jwt.secret', 'TOPSECRETVALUE');
        await b.createGroup({ name: 'g', gid: 5 });
        await until(() => seen.length >= 3);
        expect(seen).toEqual([
          { topic: 'shares', name: '/s', local: false },
          { topic: 'settings', name: 'jwt.secret', local: false },
          { topic: 'groups', name: 'g', local: true },
        ]);
        // No-ops announce nothing.
        expect(await a.deleteShare('/nope')).toBe(false);
        await a.removeMember('g', 'nobody');
        await stop();
        await a.deleteShare('/s');
        await new Promise((r) => setTimeout(r, 100));
        expect(seen).toHaveLength(3);
      });

      it('a rolled-back change is never announced', async () => {
        const a = await open({ schema: 'cp_rollback' });
        const seen: StoreChange[] = [];
        await a.watch((c) => seen.push(c));
        await a.createStore({ kind: 'block', name: 'b', type: 'memory' });
        await a.createShare({
          name: '/uses-b',
          metadataStore: 'm',
          blockStore: 'b',
          options: {
            readOnly: false,
            rootSquash: true,
            allSquash: false,
            anonUid: 0,
            anonGid: 0,
            requirePrivilegedPort: false,
            allowedClients: [],
          },
        });
        await expect(a.deleteStore('block', 'b')).rejects.toThrowError(/used by/);
        await expect(a.createStore({ kind: 'block', name: 'b', type: 'memory' })).rejects.toThrowError(/exists/);
        await a.setSetting('marker', '1');
        await until(() => seen.some((c) => c.name === 'marker'));
        expect(seen.map((c) => c.topic)).toEqual(['stores', 'shares', 'settings']);
      });

      it('after the listening connection is killed it reconnects and asks for a resync', async () => {
        const a = await open({ schema: 'cp_reconnect' });
        const seen: StoreChange[] = [];
        await a.watch((c) => seen.push(c));
        const c = new pg.Client(url);
        await c.connect();
        try {
          await c.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE $1 AND pid <> pg_backend_pid()',
            [`LISTEN %${channelOf('cp_reconnect')}%`],
          );
        } finally {
          await c.end();
        }
        await until(() => seen.some((x) => x.topic === 'resync'), 5000);
        await a.setSetting('after', '1');
        await until(() => seen.some((x) => x.name === 'after'));
      });
    });

    it('withClusterLock runs one holder at a time across nodes', async () => {
      const a = await open({ schema: 'cp_lock' });
      const b = await open({ schema: 'cp_lock' });
      const order: string[] = [];
      const slow = (tag: string) => async () => {
        order.push(`${tag}-in`);
        await new Promise((r) => setTimeout(r, 100));
        order.push(`${tag}-out`);
      };
      await Promise.all([a.withClusterLock('boot', slow('a')), b.withClusterLock('boot', slow('b'))]);
      expect([order[0].slice(2), order[1].slice(2)]).toEqual(['in', 'out']);
      expect(order[0][0]).toBe(order[1][0]);
    });
  },
);
