import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../../test/support/postgres.js';
import { startApiFixture, type ApiFixture } from './test-server.js';

// Throws under DFS_REQUIRE_E2E=1 when PostgreSQL is missing; otherwise the reason to skip.
const unavailable = postgresUnavailable();
const ROOT_CRED = { uid: 0, gid: 0, gids: [] };

describe.skipIf(unavailable !== undefined)(
  `REST API: a share on a postgres metadata store${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let db: RunningPostgres | undefined;
    let f: ApiFixture;
    beforeAll(async () => {
      db = await startPostgres();
      f = await startApiFixture();
    }, 60_000);
    afterAll(async () => {
      await f?.close();
      await db?.stop();
    });

    const call = (method: 'POST' | 'DELETE' | 'GET', url: string, payload?: object) =>
      f.api.inject({ method, url, headers: f.admin, ...(payload ? { payload } : {}) });

    it('keeps the namespace under the share name in the store schema: a re-created share sees its files', async () => {
      const s = await call('POST', '/api/v1/stores/metadata', {
        name: 'pg',
        type: 'postgres',
        settings: { url: db!.url, schema: 'api_shares' },
      });
      expect(s.statusCode, s.body).toBe(201);
      expect((await call('POST', '/api/v1/stores/block', { name: 'disk', type: 'fs' })).statusCode).toBe(201);
      const share = { name: '/pgs', metadataStore: 'pg', blockStore: 'disk' };
      expect((await call('POST', '/api/v1/shares', share)).statusCode).toBe(201);
      const vfs = f.server.runtime.shares.byName('/pgs')!.vfs;
      await vfs.mkdir(ROOT_CRED, vfs.root(), 'kept', {});

      const client = new pg.Client(db!.url);
      await client.connect();
      try {
        const r = await client.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'api_shares'");
        expect(r.rowCount).toBe(1);
      } finally {
        await client.end();
      }

      expect((await call('DELETE', '/api/v1/shares/pgs')).statusCode).toBe(204);
      expect((await call('POST', '/api/v1/shares', share)).statusCode).toBe(201);
      const again = f.server.runtime.shares.byName('/pgs')!.vfs;
      expect((await again.lookup(ROOT_CRED, again.root(), 'kept')).type).toBe('dir');
    });
  },
);
