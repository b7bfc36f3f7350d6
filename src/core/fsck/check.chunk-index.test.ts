import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkIndex } from '../../storage/block/chunked/chunk-index.js';
import { ChunkedBlockStore } from '../../storage/block/chunked/chunked-block-store.js';
import { FsLocalTier } from '../../storage/block/chunked/fs-local-tier.js';
import { MemoryMetadataStore } from '../../storage/metadata/memory/memory-store.js';
import { Vfs } from '../vfs/vfs.js';
import { ALICE } from '../vfs/vfs-fixture.js';
import { checkShareStores } from './check.js';
import { isClean } from './problems.js';

const CS = 16_384;

function chunk(seed: number): Buffer {
  return Buffer.alloc(CS, seed);
}

describe('consistency checker: the chunked store reference counts', () => {
  let dir: string;
  let meta: MemoryMetadataStore;
  let blocks: ChunkedBlockStore;
  let vfs: Vfs;
  const files = new Map<string, Buffer>();

  /** Not opened: Vfs.create opens it. */
  const newBlocks = (): ChunkedBlockStore =>
    new ChunkedBlockStore({
      dir,
      local: new FsLocalTier(join(dir, 'local')),
      chunkSize: CS,
      gcIntervalMs: 0,
      flushIntervalMs: 0,
    });

  /** Change the index as a bug or an outside edit would, with the store closed. */
  const corrupt = async (edit: (index: ChunkIndex, hashOf: (seed: number) => string) => void): Promise<void> => {
    const hashes = new Map<number, string>();
    for (const [name, data] of files) {
      const id = (await vfs.lookup(ALICE, vfs.root(), name)).contentId!;
      for (const { no, hash } of (blocks as unknown as { index: ChunkIndex }).index.fileChunks(id)) {
        hashes.set(data[no * CS], hash);
      }
    }
    await blocks.close();
    const index = new ChunkIndex(join(dir, 'index'));
    await index.env.transaction(() => edit(index, (seed) => hashes.get(seed)!));
    await index.close();
    blocks = newBlocks();
    vfs = await Vfs.create({ shareId: 4, meta, blocks, rootMode: 0o777 });
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-fsck-chunks-'));
    meta = new MemoryMetadataStore();
    blocks = newBlocks();
    vfs = await Vfs.create({ shareId: 4, meta, blocks, rootMode: 0o777 });
    // a and b share chunk 1 (deduplicated: 2 references); c holds chunks 2 and 3.
    files.set('a', Buffer.concat([chunk(1), chunk(4)]));
    files.set('b', chunk(1));
    files.set('c', Buffer.concat([chunk(2), chunk(3)]));
    for (const [name, data] of files) {
      const { obj } = await vfs.create(ALICE, vfs.root(), name, { kind: 'guarded', set: {} });
      await vfs.write(ALICE, obj.id, 0, data, 'file_sync');
    }
  });
  afterEach(async () => {
    await blocks.close();
    await rm(dir, { recursive: true, force: true });
    files.clear();
  });

  it('finds a clean index clean', async () => {
    const r = await checkShareStores({ meta, blocks });
    expect(r.found).toEqual([]);
  });

  it('reports too few references as an error, too many and unlisted garbage as warnings, a lost record as an error', async () => {
    const stray = 'f'.repeat(64);
    await corrupt((index, hashOf) => {
      const shared = index.chunks.get(hashOf(1))!;
      index.chunks.put(hashOf(1), { ...shared, refs: 1 });
      const c = index.chunks.get(hashOf(2))!;
      index.chunks.put(hashOf(2), { ...c, refs: 5 });
      index.chunks.put(stray, { refs: 0, len: 10, local: false, remote: false });
      index.chunks.remove(hashOf(3));
    });
    const r = await checkShareStores({ meta, blocks });
    const seen = r.found.map((p) => [p.kind, p.storeKind, p.severity]).sort();
    expect(seen).toEqual(
      [
        ['block-store-index', 'chunk-record-missing', 'error'],
        ['block-store-index', 'chunk-refcount-high', 'warning'],
        ['block-store-index', 'chunk-refcount-low', 'error'],
        ['block-store-index', 'garbage-unlisted', 'warning'],
      ].sort(),
    );
    expect(isClean(r)).toBe(false);
    expect(r.found.find((p) => p.storeKind === 'chunk-refcount-low')!.message).toMatch(/records 1 reference.*holds 2/);
  });

  it('--repair sets the counts from the chunk map, so collection keeps every chunk a file maps', async () => {
    await corrupt((index, hashOf) => {
      const shared = index.chunks.get(hashOf(1))!;
      index.chunks.put(hashOf(1), { ...shared, refs: 1 });
      const c = index.chunks.get(hashOf(2))!;
      index.chunks.put(hashOf(2), { ...c, refs: 5 });
      index.chunks.remove(hashOf(3));
    });
    const r = await checkShareStores({ meta, blocks, repair: true });
    expect(r.repaired).toBe(3);
    expect(r.found.every((p) => p.repair !== undefined)).toBe(true);
    expect(r.remaining).toEqual([]);
    expect((await checkShareStores({ meta, blocks })).found).toEqual([]);
    // With the count left at 1, removing b would have made chunk 1 garbage while a still maps it.
    await vfs.remove(ALICE, vfs.root(), 'b');
    await blocks.gc();
    for (const name of ['a', 'c']) {
      const ino = await vfs.lookup(ALICE, vfs.root(), name);
      const { data } = await vfs.read(ALICE, ino.id, 0, ino.size);
      expect(data.equals(files.get(name)!), name).toBe(true);
    }
    // Chunk 2's extra references are gone too: once c is removed, its chunks are collected.
    await vfs.remove(ALICE, vfs.root(), 'c');
    expect((await blocks.gc()).collected).toBe(2);
  });
});
