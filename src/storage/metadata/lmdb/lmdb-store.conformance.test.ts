import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runMetadataStoreConformance } from '../conformance.js';
import { LmdbMetadataStore } from './lmdb-store.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

runMetadataStoreConformance('lmdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-lmdb-'));
  dirs.push(dir);
  return new LmdbMetadataStore({ path: join(dir, 'meta') });
});
