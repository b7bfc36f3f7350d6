import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControlPlaneStoreConformance } from './conformance.js';
import { SqliteControlPlaneStore } from './sqlite-store.js';
import type { ControlPlaneStore } from './types.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cp-store-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// A named database is a file in the temp dir (reopened by name); otherwise :memory:.
runControlPlaneStoreConformance(
  'sqlite',
  async (o = {}) =>
    new SqliteControlPlaneStore(o.db === undefined ? ':memory:' : join(dir, `${o.db}.db`), o.migrations),
);

describe('SQLite control-plane store', () => {
  it('creates its directory and keeps the database file owner-only', async () => {
    const path = join(dir, 'sub', 'cp.db');
    const s = new SqliteControlPlaneStore(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await s.close();
  });

  it('has no watch: a single node needs none', () => {
    const s: ControlPlaneStore = new SqliteControlPlaneStore(':memory:');
    expect(s.watch).toBeUndefined();
  });
});
