import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileId, Inode } from '../types.js';
import { FsBlockStore } from '../../storage/block/fs/fs-block-store.js';
import { LmdbMetadataStore } from '../../storage/metadata/lmdb/lmdb-store.js';
import { ALICE, BOB, code } from './vfs-fixture.js';
import { Vfs } from './vfs.js';

/**
 * RFC 1813 §3.3.7: an UNSTABLE write's size and times live in memory until
 * COMMIT, a stable write or another update of the file persists them. These
 * check what every caller sees meanwhile and what the store holds after.
 */
describe('Vfs size and times of UNSTABLE writes (lmdb metadata, fs blocks)', () => {
  let dir: string;
  let vfs: Vfs;
  let meta: LmdbMetadataStore;
  let blocks: FsBlockStore;

  async function openStores(attrFlushMs = 0): Promise<void> {
    meta = new LmdbMetadataStore({ path: join(dir, 'meta'), noSync: true });
    blocks = new FsBlockStore({ root: join(dir, 'blocks') });
    vfs = await Vfs.create({ shareId: 1, meta, blocks, rootMode: 0o777, attrFlushMs });
  }

  /** Close and reopen both stores with a fresh Vfs: what a restart finds. */
  async function reopen(): Promise<void> {
    await meta.close();
    await blocks.close();
    await openStores();
  }

  /** The inode as the metadata store holds it, without any in-memory state. */
  const stored = (id: FileId): Promise<Inode | undefined> => meta.view((tx) => tx.getInode(id));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-vfs-unstable-'));
    await openStores();
  });

  afterEach(async () => {
    await meta.close();
    await blocks.close();
    await rm(dir, { recursive: true, force: true });
  });

  const newFile = async (name = 'f') =>
    (await vfs.create(ALICE, vfs.root(), name, { kind: 'guarded', set: { mode: 0o666 } })).obj;

  it('GETATTR, LOOKUP, READDIRPLUS and READ see the size before COMMIT; the store does not have it yet', async () => {
    const obj = await newFile();
    const w = await vfs.write(ALICE, obj.id, 0, Buffer.alloc(5000, 1), 'unstable');
    expect(w.committed).toBe('unstable');
    expect(w.after.size).toBe(5000);
    expect((await vfs.getattr(obj.id)).size).toBe(5000);
    expect((await vfs.lookup(ALICE, vfs.root(), 'f')).size).toBe(5000);
    const page = await vfs.readdirPlus(ALICE, vfs.root(), 0, 10);
    expect(page.attrs[0]?.size).toBe(5000);
    const r = await vfs.read(ALICE, obj.id, 0, 10_000);
    expect(r.data.length).toBe(5000);
    expect(r.eof).toBe(true);
    expect((await stored(obj.id))?.size).toBe(0);
  });

  it('COMMIT persists size and mtime: a reopened store has them', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(4096, 2), 'unstable');
    const w = await vfs.write(ALICE, obj.id, 4096, Buffer.alloc(100, 3), 'unstable');
    const c = await vfs.commit(ALICE, obj.id);
    expect(c.after.size).toBe(4196);
    expect((await stored(obj.id))?.size).toBe(4196);
    await reopen();
    const attr = await vfs.getattr(obj.id);
    expect(attr.size).toBe(4196);
    expect(attr.mtime).toEqual(w.after.mtime);
    expect(attr.change).toBe(w.after.change);
    const data = (await vfs.read(ALICE, obj.id, 4090, 200)).data;
    expect(data.length).toBe(106);
    expect(data[5]).toBe(2);
    expect(data[6]).toBe(3);
  });

  it('without COMMIT a reopened store has the size from before the UNSTABLE writes', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(4096, 2), 'unstable');
    await reopen();
    expect((await vfs.getattr(obj.id)).size).toBe(0);
  });

  it('a FILE_SYNC write is persisted at once, with the UNSTABLE writes before it', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(8192, 1), 'unstable');
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(10, 2), 'file_sync');
    expect((await stored(obj.id))?.size).toBe(8192);
    await reopen();
    expect((await vfs.getattr(obj.id)).size).toBe(8192);
  });

  it('a removed dirty file stays removed: no flush or COMMIT brings its inode back', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(4096, 1), 'unstable');
    await vfs.remove(ALICE, vfs.root(), 'f');
    expect(await code(vfs.getattr(obj.id))).toBe('STALE');
    expect(await code(vfs.commit(ALICE, obj.id))).toBe('STALE');
    await vfs.flush();
    expect(await stored(obj.id)).toBeUndefined();
    expect(await blocks.usedBytes()).toBe(0);
  });

  it('a truncate of a dirty file wins over the in-memory size, now and after a reopen', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(8192, 1), 'unstable');
    const t = await vfs.setattr(ALICE, obj.id, { size: 100 });
    expect(t.before?.size).toBe(8192);
    expect(t.after.size).toBe(100);
    expect((await vfs.getattr(obj.id)).size).toBe(100);
    await vfs.write(ALICE, obj.id, 200, Buffer.alloc(10, 2), 'unstable');
    expect((await vfs.getattr(obj.id)).size).toBe(210);
    await vfs.commit(ALICE, obj.id);
    await reopen();
    expect((await vfs.getattr(obj.id)).size).toBe(210);
    const data = (await vfs.read(ALICE, obj.id, 0, 300)).data;
    expect(data[99]).toBe(1);
    expect(data[100]).toBe(0);
    expect(data[200]).toBe(2);
  });

  it('rename, link and chmod of a dirty file persist its size with their own change', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(3000, 1), 'unstable');
    await vfs.rename(ALICE, vfs.root(), 'f', vfs.root(), 'g');
    expect((await stored(obj.id))?.size).toBe(3000);
    await vfs.write(ALICE, obj.id, 3000, Buffer.alloc(1000, 1), 'unstable');
    const l = await vfs.link(ALICE, obj.id, vfs.root(), 'h');
    expect(l.obj.size).toBe(4000);
    expect(l.obj.nlink).toBe(2);
    await vfs.write(ALICE, obj.id, 4000, Buffer.alloc(1000, 1), 'unstable');
    await vfs.setattr(ALICE, obj.id, { mode: 0o600 });
    await reopen();
    const attr = await vfs.getattr(obj.id);
    expect(attr.size).toBe(5000);
    expect(attr.mode & 0o777).toBe(0o600);
    expect(attr.nlink).toBe(2);
  });

  it('a write that must clear setgid is persisted at once, mode included', async () => {
    const obj = await newFile();
    await vfs.setattr(ALICE, obj.id, { mode: 0o2666 });
    await vfs.write(BOB, obj.id, 0, Buffer.alloc(10, 1), 'unstable');
    const s = await stored(obj.id);
    expect(s?.size).toBe(10);
    expect((s?.mode ?? 0) & 0o2000).toBe(0);
  });

  it('UNSTABLE writes pipelined behind FILE_SYNC writes of the same file keep the largest size', async () => {
    const obj = await newFile();
    const chunk = 4096;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        vfs.write(ALICE, obj.id, i * chunk, Buffer.alloc(chunk, i + 1), i % 3 === 0 ? 'unstable' : 'file_sync'),
      ),
    );
    expect((await vfs.getattr(obj.id)).size).toBe(12 * chunk);
    await vfs.commit(ALICE, obj.id);
    await reopen();
    expect((await vfs.getattr(obj.id)).size).toBe(12 * chunk);
  });

  it('the flush timer persists the size when no COMMIT comes', async () => {
    await meta.close();
    await blocks.close();
    await openStores(20);
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(700, 1), 'unstable');
    for (let i = 0; i < 100 && (await stored(obj.id))?.size !== 700; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await stored(obj.id))?.size).toBe(700);
  });

  it('a READ sets atime in memory (GETATTR sees it), without a commit; flush persists it', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(10, 1), 'file_sync');
    const before = (await stored(obj.id))!;
    await new Promise((r) => setTimeout(r, 5));
    const r = await vfs.read(ALICE, obj.id, 0, 10);
    expect(r.attr.atime).not.toEqual(before.atime);
    expect((await vfs.getattr(obj.id)).atime).toEqual(r.attr.atime);
    // atime is not a change: ctime and the change counter stay.
    expect(r.attr.change).toBe(before.change);
    expect((await stored(obj.id))?.atime).toEqual(before.atime);
    await vfs.flush();
    expect((await stored(obj.id))?.atime).toEqual(r.attr.atime);
    expect((await stored(obj.id))?.change).toBe(before.change);
  });

  it('an explicit atime set after a READ wins over the in-memory one', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(10, 1), 'file_sync');
    await vfs.read(ALICE, obj.id, 0, 10);
    const t = { sec: 1_000_000, nsec: 7 };
    await vfs.setattr(ALICE, obj.id, { atime: t });
    expect((await vfs.getattr(obj.id)).atime).toEqual(t);
    await vfs.flush();
    await reopen();
    expect((await vfs.getattr(obj.id)).atime).toEqual(t);
  });

  it('UNSTABLE writes of one file run side by side; the size is the largest end, the data all there', async () => {
    const obj = await newFile();
    await vfs.write(ALICE, obj.id, 0, Buffer.alloc(4096, 1), 'unstable');
    let inFlight = 0;
    let most = 0;
    const write = blocks.write.bind(blocks);
    blocks.write = async (id, off, data) => {
      most = Math.max(most, ++inFlight);
      try {
        await write(id, off, data);
      } finally {
        inFlight--;
      }
    };
    const order = [9, 3, 15, 1, 12, 7, 5, 14, 2, 11, 8, 13, 4, 10, 6];
    await Promise.all(order.map((k) => vfs.write(ALICE, obj.id, k * 4096, Buffer.alloc(4096, k + 1), 'unstable')));
    expect(most).toBeGreaterThan(1);
    expect((await vfs.getattr(obj.id)).size).toBe(16 * 4096);
    await vfs.commit(ALICE, obj.id);
    await reopen();
    const data = (await vfs.read(ALICE, obj.id, 0, 16 * 4096)).data;
    for (let k = 0; k < 16; k++) expect(data[k * 4096 + 4095]).toBe(k + 1);
  });
});
