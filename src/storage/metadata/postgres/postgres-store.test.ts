import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../../../test/support/postgres.js';
import { isFsError, FsError } from '../../../core/errors.js';
import { ROOT_ID, type FileId, type Inode } from '../../../core/types.js';
import { runMetadataStoreConformance, sampleInode } from '../conformance.js';
import type { MetadataStore, MetadataWriteTx } from '../store.js';
import { SCHEMA_VERSION } from './migrations.js';
import { PostgresMetadataStore, type PostgresMetadataStoreOptions } from './postgres-store.js';

// Throws under DFS_REQUIRE_E2E=1 when PostgreSQL is missing; otherwise the reason to skip.
const unavailable = postgresUnavailable();
const rootInode = sampleInode(ROOT_ID, { type: 'dir', mode: 0o755, nlink: 2, nextCookie: 3, parent: ROOT_ID });

describe.skipIf(unavailable !== undefined)(
  `PostgresMetadataStore${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let server: RunningPostgres | undefined;
    let url = '';
    let namespaces = 0;
    const stores: MetadataStore[] = [];

    beforeAll(async () => {
      server = await startPostgres();
      url = server.url;
    }, 60_000);
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await server?.stop();
    });

    /** A store on the test cluster; closed after all tests. */
    function store(opts: Partial<PostgresMetadataStoreOptions> = {}): PostgresMetadataStore {
      const s = new PostgresMetadataStore({ connectionString: url, ...opts });
      stores.push(s);
      return s;
    }

    async function sql<R extends pg.QueryResultRow>(text: string): Promise<R[]> {
      const c = new pg.Client(url);
      await c.connect();
      try {
        return (await c.query<R>(text)).rows;
      } finally {
        await c.end();
      }
    }

    // Each factory call gets a fresh share key in the default schema: an empty namespace.
    runMetadataStoreConformance(
      'postgres',
      async () => new PostgresMetadataStore({ connectionString: url, share: `conformance-${++namespaces}` }),
    );

    describe('migrations', () => {
      it('are applied once when two servers open the same empty database at once, and reopening is a no-op', async () => {
        const a = store({ schema: 'mig_race', share: 'a' });
        const b = store({ schema: 'mig_race', share: 'b' });
        await Promise.all([a.open({ rootInode }), b.open({ rootInode })]);
        await store({ schema: 'mig_race', share: 'a' }).open({ rootInode });
        const rows = await sql<{ version: number }>('SELECT version FROM mig_race.schema_migrations ORDER BY version');
        expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
        expect(await a.view((tx) => tx.getInode(ROOT_ID))).toEqual(rootInode);
        expect(await b.view((tx) => tx.getInode(ROOT_ID))).toEqual(rootInode);
      });

      it('refuse a schema newer than the code', async () => {
        await store({ schema: 'mig_newer' }).open({ rootInode });
        await sql(`INSERT INTO mig_newer.schema_migrations (version, name) VALUES (${SCHEMA_VERSION + 1}, 'future')`);
        await expect(store({ schema: 'mig_newer' }).open({ rootInode })).rejects.toThrow(/newer than this server/);
      });

      it('reject a schema name that is not a plain identifier', () => {
        expect(() => new PostgresMetadataStore({ connectionString: url, schema: 'x"; DROP TABLE y; --' })).toThrow(
          /invalid PostgreSQL schema name/,
        );
      });
    });

    describe('two servers on one database', () => {
      it("see each other's commits in the same share and nothing of another share", async () => {
        const a = store({ share: 'shared-1' });
        const b = store({ share: 'shared-1' });
        const other = store({ share: 'shared-2' });
        await Promise.all([a.open({ rootInode }), b.open({ rootInode }), other.open({ rootInode })]);
        const id = await a.update(async (tx) => {
          const i = await tx.allocateId();
          await tx.putInode(sampleInode(i, { size: 5 }));
          await tx.addEntry(ROOT_ID, 'from-a', i, 3);
          await tx.setXattr(i, 'user.k', Buffer.from('v'));
          return i;
        });
        expect(await b.view((tx) => tx.lookup(ROOT_ID, 'from-a'))).toEqual({ name: 'from-a', id, cookie: 3 });
        expect(await b.view((tx) => tx.getInode(id))).toEqual(sampleInode(id, { size: 5 }));
        expect((await b.view((tx) => tx.getXattr(id, 'user.k')))?.toString()).toBe('v');
        await b.update((tx) => tx.putInode(sampleInode(id, { size: 9 })));
        expect((await a.view((tx) => tx.getInode(id)))?.size).toBe(9);
        expect(await other.view((tx) => tx.lookup(ROOT_ID, 'from-a'))).toBeUndefined();
        expect(await other.view((tx) => tx.getInode(id))).toBeUndefined();
      });

      it('keep data across a restart and never hand out an id twice, across servers and restarts', async () => {
        const a = store({ share: 'restart' });
        const b = store({ share: 'restart' });
        await Promise.all([a.open({ rootInode }), b.open({ rootInode })]);
        const ids: number[] = [];
        const take = (s: MetadataStore): Promise<number> => s.update((tx) => tx.allocateId());
        for (let i = 0; i < 300; i++) ids.push(await take(i % 2 === 0 ? a : b));
        await a.update((tx) => tx.putState('verf', Buffer.from('0123')));
        await a.close();
        const again = store({ share: 'restart' });
        await again.open({ rootInode });
        for (let i = 0; i < 10; i++) ids.push(await take(again));
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).not.toContain(ROOT_ID);
        expect((await again.view((tx) => tx.getState('verf')))?.toString()).toBe('0123');
      });
    });

    describe('conflicting updates from two servers', () => {
      /** A rendezvous: each party waits until `n` have arrived (only the first time round). */
      function barrier(n: number): () => Promise<void> {
        let arrived = 0;
        let open!: () => void;
        const opened = new Promise<void>((r) => (open = r));
        return async () => {
          if (++arrived === n) open();
          await opened;
        };
      }

      async function mkdir(tx: MetadataWriteTx, parent: FileId, name: string): Promise<FileId> {
        const id = await tx.allocateId();
        await tx.putInode(sampleInode(id, { type: 'dir', nlink: 2, nextCookie: 3, parent }));
        const p = (await tx.getInode(parent))!;
        await tx.addEntry(parent, name, id, p.nextCookie!);
        await tx.putInode({ ...p, nextCookie: p.nextCookie! + 1 });
        return id;
      }

      /** The store side of core/vfs rename: read both dirs and the entry, then move it. */
      async function rename(
        s: MetadataStore,
        from: FileId,
        name: string,
        to: FileId,
        meet: () => Promise<void>,
        attempts: { n: number },
      ): Promise<void> {
        await s.update(async (tx) => {
          attempts.n++;
          const fd = (await tx.getInode(from))!;
          const td = (await tx.getInode(to))!;
          const e = await tx.lookup(from, name);
          await meet();
          if (e === undefined) throw new FsError('NOENT');
          // refuseOwnSubtree: walk up from the target; the moved entry must not be an ancestor.
          for (let p: Inode = td; p.id !== ROOT_ID; p = (await tx.getInode(p.parent!))!) {
            if (p.id === e.id) throw new FsError('INVAL', 'into own subtree');
          }
          await tx.removeEntry(from, name);
          await tx.addEntry(to, name, e.id, td.nextCookie!);
          await tx.putInode({ ...td, nextCookie: td.nextCookie! + 1, change: td.change + 1 });
          await tx.putInode({ ...fd, change: fd.change + 1 });
          const moved = (await tx.getInode(e.id))!;
          if (moved.type === 'dir') await tx.putInode({ ...moved, parent: to });
        });
      }

      it('two renames of one entry into different directories: exactly one wins, the entry is never lost', async () => {
        const a = store({ share: 'rename-race' });
        const b = store({ share: 'rename-race' });
        await Promise.all([a.open({ rootInode }), b.open({ rootInode })]);
        for (let round = 0; round < 5; round++) {
          const [src, d1, d2, file] = await a.update(async (tx) => {
            const dirs = [
              await mkdir(tx, ROOT_ID, `src${round}`),
              await mkdir(tx, ROOT_ID, `d1-${round}`),
              await mkdir(tx, ROOT_ID, `d2-${round}`),
            ];
            const f = await tx.allocateId();
            await tx.putInode(sampleInode(f));
            await tx.addEntry(dirs[0], 'x', f, 3);
            await tx.putInode(sampleInode(dirs[0], { type: 'dir', nlink: 2, nextCookie: 4, parent: ROOT_ID }));
            return [...dirs, f];
          });
          const meet = barrier(2);
          const attempts = { n: 0 };
          const results = await Promise.allSettled([
            rename(a, src, 'x', d1, meet, attempts),
            rename(b, src, 'x', d2, meet, attempts),
          ]);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r) => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect(isFsError((lost[0] as PromiseRejectedResult).reason, 'NOENT')).toBe(true);
          // The loser ran again on a fresh snapshot and found the entry gone.
          expect(attempts.n).toBeGreaterThanOrEqual(3);
          const where = await b.view(async (tx) => ({
            src: await tx.lookup(src, 'x'),
            d1: await tx.lookup(d1, 'x'),
            d2: await tx.lookup(d2, 'x'),
          }));
          expect(where.src).toBeUndefined();
          expect([where.d1?.id, where.d2?.id].filter((id) => id === file)).toHaveLength(1);
        }
      });

      it('two cross moves of directories (P into Q, Q into P) never make a cycle', async () => {
        const a = store({ share: 'cycle-race' });
        const b = store({ share: 'cycle-race' });
        await Promise.all([a.open({ rootInode }), b.open({ rootInode })]);
        for (let round = 0; round < 5; round++) {
          const [p, q] = await a.update(async (tx) => [
            await mkdir(tx, ROOT_ID, `p${round}`),
            await mkdir(tx, ROOT_ID, `q${round}`),
          ]);
          const meet = barrier(2);
          const attempts = { n: 0 };
          const results = await Promise.allSettled([
            rename(a, ROOT_ID, `p${round}`, q, meet, attempts),
            rename(b, ROOT_ID, `q${round}`, p, meet, attempts),
          ]);
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
          const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
          expect(isFsError(lost.reason, 'INVAL')).toBe(true);
          // Both directories still reach the root by their parents.
          await b.view(async (tx) => {
            for (const start of [p, q]) {
              let cur = (await tx.getInode(start))!;
              for (let depth = 0; cur.id !== ROOT_ID; depth++) {
                expect(depth).toBeLessThan(3);
                cur = (await tx.getInode(cur.parent!))!;
              }
            }
          });
        }
      });

      it('reports DELAY when an update keeps losing beyond maxAttempts', async () => {
        const a = store({ share: 'give-up', maxAttempts: 1 });
        const b = store({ share: 'give-up', maxAttempts: 1 });
        await Promise.all([a.open({ rootInode }), b.open({ rootInode })]);
        const meet = barrier(2);
        const bump = (s: MetadataStore) =>
          s.update(async (tx) => {
            const r = (await tx.getInode(ROOT_ID))!;
            await meet();
            await tx.putInode({ ...r, change: r.change + 1 });
          });
        const results = await Promise.allSettled([bump(a), bump(b)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(isFsError(lost.reason, 'DELAY')).toBe(true);
      });
    });

    describe('large directories', () => {
      it('pages a 100,000-entry directory through the cookie index, never reading it whole', async ({ annotate }) => {
        const s = store({ share: 'big-dir' });
        await s.open({ rootInode });
        const N = 100_000;
        const dir = 77;
        let t = performance.now();
        await s.update(async (tx) => {
          for (let i = 0; i < N; i++) await tx.addEntry(dir, `entry-${i}`, 1_000_000 + i, 3 + i);
        });
        const fillMs = performance.now() - t;

        const plan = await sql<{ 'QUERY PLAN': unknown }>(
          `EXPLAIN (FORMAT JSON) SELECT name, child, cookie FROM dittofs.dirents
             WHERE share = 'big-dir' AND dir = ${dir} AND cookie > 50000 ORDER BY cookie LIMIT 1000`,
        );
        const text = JSON.stringify(plan[0]['QUERY PLAN']);
        expect(text).toContain('dirents_cookie_key');
        expect(text).not.toContain('"Node Type":"Sort"');
        expect(text).not.toContain('"Node Type":"Seq Scan"');

        t = performance.now();
        let cookie = 0;
        let count = 0;
        for (;;) {
          const page = await s.view((tx) => tx.readdir(dir, cookie, 1000));
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(1000);
          expect(page[0].cookie).toBeGreaterThan(cookie);
          count += page.length;
          cookie = page[page.length - 1].cookie;
        }
        const listMs = performance.now() - t;
        expect(count).toBe(N);
        await annotate(`fill ${N} entries: ${Math.round(fillMs)} ms; list in pages of 1000: ${Math.round(listMs)} ms`);
      });
    });

    describe("a view's deferred COMMIT", () => {
      it('rides with the next transaction on the same connection, whatever it starts with', async () => {
        const s = store({ share: 'one-conn', poolSize: 1 });
        await s.open({ rootInode });
        for (let i = 0; i < 20; i++) {
          expect(await s.view((tx) => tx.getInode(ROOT_ID))).toEqual(rootInode);
          // allocateId first: nextval must not run inside the view's READ ONLY transaction.
          const id = await s.update(async (tx) => {
            const n = await tx.allocateId();
            await tx.putInode(sampleInode(n));
            return n;
          });
          expect(await s.view((tx) => tx.getInode(id))).toEqual(sampleInode(id));
          await s.update((tx) => tx.putState('k', Buffer.from([i])));
        }
        expect(await s.view((tx) => tx.getState('k'))).toEqual(Buffer.from([19]));
      });

      it('is sent alone when the connection stays idle, so no snapshot stays open', async () => {
        const s = store({ share: 'idle-end', poolSize: 1, connectionString: `${url}?application_name=idle_end_test` });
        await s.open({ rootInode });
        await s.view((tx) => tx.getInode(ROOT_ID));
        const open = async () =>
          (
            await sql<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'idle in transaction' AND application_name = 'idle_end_test'`,
            )
          )[0].n;
        // Right after the view its COMMIT may still be deferred (1) or already
        // sent (0) depending on scheduling; what matters is that it is sent
        // without any further traffic: poll for 0 (a loaded machine can be slow).
        expect(await open()).toBeLessThanOrEqual(1);
        let n = 1;
        for (let i = 0; i < 50 && n !== 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          n = await open();
        }
        expect(n).toBe(0);
      });
    });

    describe('input PostgreSQL cannot store', () => {
      it('a NUL in a name fails the update with INVAL and leaves the store usable', async () => {
        const s = store({ share: 'nul' });
        await s.open({ rootInode });
        await expect(s.update((tx) => tx.addEntry(ROOT_ID, 'a\0b', 5, 3))).rejects.toSatisfy((e) =>
          isFsError(e, 'INVAL'),
        );
        await s.update((tx) => tx.addEntry(ROOT_ID, 'ok', 5, 3));
        expect(await s.view((tx) => tx.lookup(ROOT_ID, 'ok'))).toEqual({ name: 'ok', id: 5, cookie: 3 });
      });
    });
  },
);
