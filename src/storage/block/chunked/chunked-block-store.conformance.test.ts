import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runBlockStoreConformance } from '../conformance.js';
import { ChunkedBlockStore } from './chunked-block-store.js';
import { FsLocalTier } from './fs-local-tier.js';
import { MemoryLocalTier } from './memory-local-tier.js';
import { MemoryRemote } from './memory-remote.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dfs-chunked-'));
  dirs.push(d);
  return d;
}

// 64 KiB chunks so the suite's unaligned writes cross many chunk boundaries.
runBlockStoreConformance('chunked memory local + memory remote', async () => {
  const dir = await tempDir();
  return new ChunkedBlockStore({ dir, local: new MemoryLocalTier(), remote: new MemoryRemote(), chunkSize: 65_536 });
});

runBlockStoreConformance('chunked fs local + memory remote', async () => {
  const dir = await tempDir();
  return new ChunkedBlockStore({
    dir,
    local: new FsLocalTier(join(dir, 'local')),
    remote: new MemoryRemote(),
    chunkSize: 65_536,
  });
});

runBlockStoreConformance('chunked fs local only, 1 MiB chunks, writeback', async () => {
  const dir = await tempDir();
  return new ChunkedBlockStore({ dir, local: new FsLocalTier(join(dir, 'local')), durability: 'writeback' });
});

// A tiny dirty budget and cache: every write path goes through flushes and reloads.
runBlockStoreConformance('chunked fs local + memory remote, tiny buffers', async () => {
  const dir = await tempDir();
  return new ChunkedBlockStore({
    dir,
    local: new FsLocalTier(join(dir, 'local')),
    remote: new MemoryRemote(),
    chunkSize: 16_384,
    maxDirtyBytes: 40_000,
    cacheBytes: 20_000,
  });
});
