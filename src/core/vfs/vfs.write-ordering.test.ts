import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlockStore } from '../../storage/block/fs/fs-block-store.js';
import { LmdbMetadataStore } from '../../storage/metadata/lmdb/lmdb-store.js';
import { ALICE } from './vfs-fixture.js';
import { Vfs } from './vfs.js';

/** Writes put data outside the metadata transaction: these check that order and size still hold. */
describe('Vfs write ordering (lmdb metadata, fs blocks)', () => {
  let dir: string;
  let vfs: Vfs;
  let meta: LmdbMetadataStore;
  let blocks: FsBlockStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-vfs-order-'));
    meta = new LmdbMetadataStore({ path: join(dir, 'meta'), noSync: true });
    blocks = new FsBlockStore({ root: join(dir, 'blocks') });
    vfs = await Vfs.create({ shareId: 1, meta, blocks, rootMode: 0o777 });
  });

  afterEach(async () => {
    await meta.close();
    await blocks.close();
    await rm(dir, { recursive: true, force: true });
  });

  const newFile = async () => (await vfs.create(ALICE, vfs.root(), 'f', { kind: 'guarded', set: {} })).obj;

  it('pipelined writes past the end never cut data of earlier writes still committing', async () => {
    const obj = await newFile();
    const chunk = 4096;
    // In call order, each one starting past the size the committed metadata shows.
    await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        vfs.write(ALICE, obj.id, i * 2 * chunk, Buffer.alloc(chunk, i + 1), 'unstable'),
      ),
    );
    const attr = await vfs.getattr(obj.id);
    expect(attr.size).toBe(63 * chunk);
    const data = (await vfs.read(ALICE, obj.id, 0, attr.size)).data;
    for (let i = 0; i < 32; i++) {
      expect(data[i * 2 * chunk]).toBe(i + 1);
      if (i < 31) expect(data[(i * 2 + 1) * chunk]).toBe(0);
    }
  });

  it('a truncate issued between writes applies between them', async () => {
    const obj = await newFile();
    const first = vfs.write(ALICE, obj.id, 0, Buffer.alloc(8192, 7), 'unstable');
    const cut = vfs.setattr(ALICE, obj.id, { size: 100 });
    const second = vfs.write(ALICE, obj.id, 4096, Buffer.alloc(10, 9), 'unstable');
    await Promise.all([first, cut, second]);
    const attr = await vfs.getattr(obj.id);
    expect(attr.size).toBe(4106);
    const data = (await vfs.read(ALICE, obj.id, 0, 5000)).data;
    expect(data[99]).toBe(7);
    // Cut by the truncate, then a hole: zeros, not the first write's bytes.
    expect(data[100]).toBe(0);
    expect(data[4095]).toBe(0);
    expect(data[4096]).toBe(9);
  });

  it('a remove racing writes leaves no content behind and the late writes fail STALE', async () => {
    const obj = await newFile();
    const writes = Array.from({ length: 8 }, (_, i) =>
      vfs.write(ALICE, obj.id, i * 65536, Buffer.alloc(65536, 1), 'file_sync').then(
        () => 'OK',
        (e: { code?: string }) => e.code,
      ),
    );
    await vfs.remove(ALICE, vfs.root(), 'f');
    const codes = await Promise.all(writes);
    for (const c of codes) expect(['OK', 'STALE']).toContain(c);
    expect(await blocks.usedBytes()).toBe(0);
  });

  it('FILE_SYNC data is committed to the block store before the reply', async () => {
    const obj = await newFile();
    let committed = 0;
    const orig = blocks.commit.bind(blocks);
    blocks.commit = async (id: string) => {
      await orig(id);
      committed++;
    };
    await vfs.write(ALICE, obj.id, 0, Buffer.from('durable'), 'file_sync');
    expect(committed).toBe(1);
  });
});
