import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runBlockStoreConformance } from '../conformance.js';
import { FsBlockStore } from './fs-block-store.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// A tiny fd cache so that eviction while files are in use is exercised too.
runBlockStoreConformance('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'dfs-blocks-'));
  dirs.push(root);
  return new FsBlockStore({ root: join(root, 'store'), maxOpenFiles: 2 });
});
