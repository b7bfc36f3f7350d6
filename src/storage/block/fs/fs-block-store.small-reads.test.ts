import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlockStore } from './fs-block-store.js';

/** Small reads share slabs (fs-block-store.ts readBuffer): no two results may alias. */
describe('FsBlockStore small reads', () => {
  let root: string;
  let store: FsBlockStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfs-fsblocks-small-'));
    store = new FsBlockStore({ root, maxOpenFiles: 4 });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps every earlier small read intact across many later ones, concurrent or not', async () => {
    const files = 40;
    for (let i = 0; i < files; i++) await store.write(`s${i}`, 0, Buffer.alloc(4096, i + 1));
    // Enough 4 KiB reads to fill several slabs, half of them at once.
    const first = await Promise.all(Array.from({ length: files }, (_, i) => store.read(`s${i}`, 0, 4096)));
    const later: Buffer[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < files; i++) later.push(await store.read(`s${i}`, 0, i % 2 === 0 ? 4096 : 1000));
    }
    first.forEach((b, i) => expect(b.equals(Buffer.alloc(4096, i + 1))).toBe(true));
    later.forEach((b, k) => {
      const i = k % files;
      expect(b.equals(Buffer.alloc(i % 2 === 0 ? 4096 : 1000, i + 1))).toBe(true);
    });
  });

  it('reads past the end of a file as zeros even in a reused slab region', async () => {
    await store.write('full', 0, Buffer.alloc(8192, 0xff));
    await store.write('short', 0, Buffer.from('abc'));
    await store.read('full', 0, 8192);
    const b = await store.read('short', 0, 4096);
    expect(b.subarray(0, 3).toString()).toBe('abc');
    expect(b.subarray(3).equals(Buffer.alloc(4093))).toBe(true);
  });
});
