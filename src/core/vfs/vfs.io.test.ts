import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FsBlockStore } from '../../storage/block/fs/fs-block-store.js';
import { MemoryMetadataStore } from '../../storage/metadata/memory/memory-store.js';
import { code, ALICE, BOB, makeVfs, ROOT, type Fixture } from './vfs-fixture.js';
import { Vfs } from './vfs.js';

describe('Vfs read and write', () => {
  let f: Fixture;
  let root: number;
  const newFile = async (name = 'f') => (await f.vfs.create(ALICE, root, name, { kind: 'guarded', set: {} })).obj;

  beforeEach(async () => {
    f = await makeVfs();
    root = f.vfs.root();
  });

  it('writes extend the size; reads clamp to it and report eof', async () => {
    const obj = await newFile();
    const w = await f.vfs.write(ALICE, obj.id, 0, Buffer.from('hello world'), 'unstable');
    expect(w).toMatchObject({ count: 11, committed: 'unstable' });
    expect(w.after.size).toBe(11);
    const all = await f.vfs.read(ALICE, obj.id, 0, 100);
    expect(all.data.toString()).toBe('hello world');
    expect(all.eof).toBe(true);
    const part = await f.vfs.read(ALICE, obj.id, 0, 5);
    expect(part).toMatchObject({ eof: false });
    expect(part.data.toString()).toBe('hello');
    const tail = await f.vfs.read(ALICE, obj.id, 6, 5);
    expect(tail.data.toString()).toBe('world');
    expect(tail.eof).toBe(true);
    const past = await f.vfs.read(ALICE, obj.id, 50, 5);
    expect(past.data.length).toBe(0);
    expect(past.eof).toBe(true);
    // A write inside the file does not shrink it.
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('J'), 'unstable');
    expect((await f.vfs.getattr(obj.id)).size).toBe(11);
  });

  it('reads holes as zeros: after a write past the end and after truncating up', async () => {
    const obj = await newFile();
    await f.vfs.write(ALICE, obj.id, 1_000_000, Buffer.from('end'), 'unstable');
    const r = await f.vfs.read(ALICE, obj.id, 999_990, 13);
    expect(r.data.equals(Buffer.concat([Buffer.alloc(10), Buffer.from('end')]))).toBe(true);
    const g = await newFile('g');
    await f.vfs.write(ALICE, g.id, 0, Buffer.from('abcdef'), 'unstable');
    await f.vfs.setattr(ALICE, g.id, { size: 2 });
    await f.vfs.setattr(ALICE, g.id, { size: 6 });
    expect((await f.vfs.read(ALICE, g.id, 0, 6)).data.equals(Buffer.from([0x61, 0x62, 0, 0, 0, 0]))).toBe(true);
    const empty = await newFile('never-written');
    await f.vfs.setattr(ALICE, empty.id, { size: 4096 });
    expect((await f.vfs.read(ALICE, empty.id, 0, 4096)).data.equals(Buffer.alloc(4096))).toBe(true);
  });

  it('rejects sizes and offsets beyond 2^53 with FBIG, negative ones with INVAL', async () => {
    const obj = await newFile();
    expect(await code(f.vfs.write(ALICE, obj.id, Number.MAX_SAFE_INTEGER, Buffer.from('xy'), 'unstable'))).toBe('FBIG');
    expect(await code(f.vfs.setattr(ALICE, obj.id, { size: 2 ** 60 }))).toBe('FBIG');
    expect(await code(f.vfs.write(ALICE, obj.id, -1, Buffer.from('x'), 'unstable'))).toBe('INVAL');
    expect(await code(f.vfs.read(ALICE, obj.id, -1, 1))).toBe('INVAL');
    expect(await code(f.vfs.setattr(ALICE, obj.id, { size: -1 }))).toBe('INVAL');
  });

  it('read/write of a directory is ISDIR, of a symlink INVAL; truncate of a directory ISDIR', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, root, 'd', {});
    const { obj: l } = await f.vfs.symlink(ALICE, root, 'l', 't', {});
    expect(await code(f.vfs.read(ALICE, d.id, 0, 1))).toBe('ISDIR');
    expect(await code(f.vfs.write(ALICE, d.id, 0, Buffer.from('x'), 'unstable'))).toBe('ISDIR');
    expect(await code(f.vfs.write(ALICE, l.id, 0, Buffer.from('x'), 'unstable'))).toBe('INVAL');
    expect(await code(f.vfs.setattr(ALICE, d.id, { size: 0 }))).toBe('ISDIR');
  });

  it('concurrent writes to one file lose no size update', async () => {
    const obj = await newFile();
    const chunk = 1000;
    await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        f.vfs.write(ALICE, obj.id, i * chunk, Buffer.alloc(chunk, i + 1), 'unstable'),
      ).reverse(),
    );
    const attr = await f.vfs.getattr(obj.id);
    expect(attr.size).toBe(64 * chunk);
    expect(attr.change).toBe(obj.change + 64);
    const data = (await f.vfs.read(ALICE, obj.id, 0, 64 * chunk)).data;
    for (let i = 0; i < 64; i++) expect(data[i * chunk + 500]).toBe(i + 1);
  });

  it('stable writes and commit call the block store commit; unstable writes do not', async () => {
    const spy = vi.spyOn(f.blocks, 'commit');
    const obj = await newFile();
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('a'), 'unstable');
    expect(spy).not.toHaveBeenCalled();
    const ds = await f.vfs.write(ALICE, obj.id, 0, Buffer.from('b'), 'data_sync');
    expect(ds.committed).toBe('data_sync');
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('c'), 'file_sync');
    expect(spy).toHaveBeenCalledTimes(2);
    await f.vfs.commit(ALICE, obj.id);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(spy).toHaveBeenLastCalledWith(obj.contentId);
  });

  it('removing the last link deletes the content after the metadata commit; an earlier link keeps it', async () => {
    const obj = await newFile();
    await f.vfs.write(ALICE, obj.id, 0, Buffer.alloc(70_000, 1), 'unstable');
    await f.vfs.link(ALICE, obj.id, root, 'g');
    const del = vi.spyOn(f.blocks, 'delete');
    await f.vfs.remove(ALICE, root, 'f');
    expect(del).not.toHaveBeenCalled();
    const order: string[] = [];
    const update = f.meta.update.bind(f.meta);
    vi.spyOn(f.meta, 'update').mockImplementation(async (fn) => {
      const r = await update(fn);
      order.push('committed');
      return r;
    });
    del.mockImplementation(async (id) => {
      order.push(`delete ${id}`);
    });
    await f.vfs.remove(ALICE, root, 'g');
    expect(order).toEqual(['committed', `delete ${obj.contentId}`]);
  });

  it('frees the memory of deleted content', async () => {
    const obj = await newFile();
    const before = await f.blocks.usedBytes();
    await f.vfs.write(ALICE, obj.id, 0, Buffer.alloc(200_000, 1), 'unstable');
    expect(await f.blocks.usedBytes()).toBeGreaterThan(before);
    await f.vfs.remove(ALICE, root, 'f');
    expect(await f.blocks.usedBytes()).toBe(before);
  });

  it('handles of removed files are STALE; a wrong generation is STALE', async () => {
    const obj = await newFile();
    expect(await code(f.vfs.checkHandle(obj.id, obj.generation ^ 1))).toBe('STALE');
    await f.vfs.remove(ALICE, root, 'f');
    expect(await code(f.vfs.getattr(obj.id))).toBe('STALE');
    expect(await code(f.vfs.checkHandle(obj.id, obj.generation))).toBe('STALE');
    expect(await code(f.vfs.read(ALICE, obj.id, 0, 1))).toBe('STALE');
    expect(await code(f.vfs.write(ALICE, obj.id, 0, Buffer.from('x'), 'unstable'))).toBe('STALE');
    expect(await code(f.vfs.setattr(ALICE, obj.id, { mode: 0o600 }))).toBe('STALE');
    const { obj: d } = await f.vfs.mkdir(ALICE, root, 'd', {});
    await f.vfs.rmdir(ALICE, root, 'd');
    expect(await code(f.vfs.lookup(ALICE, d.id, 'x'))).toBe('STALE');
    expect(await code(f.vfs.readdir(ALICE, d.id, 0, 10))).toBe('STALE');
  });

  it('statfs reports capacity minus used content, and inode counts', async () => {
    const g = await makeVfs({ capacityBytes: 10 * 1024 * 1024, maxFiles: 1000 });
    const s0 = await g.vfs.statfs();
    expect(s0).toMatchObject({
      totalBytes: 10 * 1024 * 1024,
      freeBytes: 10 * 1024 * 1024,
      totalFiles: 1000,
      freeFiles: 999,
    });
    const { obj } = await g.vfs.create(ALICE, g.vfs.root(), 'f', { kind: 'guarded', set: {} });
    await g.vfs.write(ALICE, obj.id, 0, Buffer.alloc(100_000, 1), 'unstable');
    const s1 = await g.vfs.statfs();
    expect(s1.freeBytes).toBeLessThanOrEqual(10 * 1024 * 1024 - 100_000);
    expect(s1.availBytes).toBe(s1.freeBytes);
    expect(s1.freeFiles).toBe(998);
  });

  it('a read-only share refuses every modification with ROFS and still serves reads', async () => {
    const obj = await newFile();
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('data'), 'unstable');
    // A second Vfs over the same stores sees an UNSTABLE write's size once it is committed.
    await f.vfs.commit(ALICE, obj.id);
    const ro = new Vfs({ shareId: 3, meta: f.meta, blocks: f.blocks, readOnly: true, clock: f.clock.now });
    expect(ro.readOnly).toBe(true);
    const attempts: Promise<unknown>[] = [
      ro.setattr(ROOT, obj.id, { mode: 0o600 }),
      ro.write(ROOT, obj.id, 0, Buffer.from('x'), 'unstable'),
      ro.create(ROOT, root, 'n', { kind: 'unchecked', set: {} }),
      ro.create(ROOT, root, 'n', { kind: 'exclusive', verifier: Buffer.alloc(8) }),
      ro.mkdir(ROOT, root, 'n', {}),
      ro.symlink(ROOT, root, 'n', 't', {}),
      ro.mknod(ROOT, root, 'n', 'fifo', {}),
      ro.remove(ROOT, root, 'f'),
      ro.rmdir(ROOT, root, 'f'),
      ro.rename(ROOT, root, 'f', root, 'g'),
      ro.link(ROOT, obj.id, root, 'g'),
    ];
    for (const a of attempts) expect(await code(a)).toBe('ROFS');
    const before = await ro.getattr(obj.id);
    expect((await ro.read(ALICE, obj.id, 0, 4)).data.toString()).toBe('data');
    expect(await ro.getattr(obj.id)).toEqual(before);
    expect((await ro.access(ROOT, obj.id, 0x3f)).granted & 0x0c).toBe(0);
    expect((await ro.statfs()).availBytes).toBe(0);
  });

  it('a write by someone without permission changes neither data nor attributes', async () => {
    const obj = await newFile();
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('data'), 'unstable');
    const before = await f.vfs.getattr(obj.id);
    expect(await code(f.vfs.write(BOB, obj.id, 0, Buffer.from('EVIL!'), 'unstable'))).toBe('ACCES');
    expect(await f.vfs.getattr(obj.id)).toEqual(before);
    expect((await f.vfs.read(ALICE, obj.id, 0, 10)).data.toString()).toBe('data');
  });
});

describe('Vfs over the fs block store', () => {
  it('round-trips data, truncation and removal through real files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-vfs-'));
    try {
      const blocks = new FsBlockStore({ root: dir });
      const vfs = await Vfs.create({ shareId: 9, meta: new MemoryMetadataStore(), blocks, rootMode: 0o777 });
      const { obj } = await vfs.create(ALICE, vfs.root(), 'f', { kind: 'guarded', set: {} });
      await vfs.write(ALICE, obj.id, 100, Buffer.from('payload'), 'file_sync');
      const r = await vfs.read(ALICE, obj.id, 98, 20);
      expect(r.data.equals(Buffer.concat([Buffer.alloc(2), Buffer.from('payload')]))).toBe(true);
      expect(r.eof).toBe(true);
      await vfs.setattr(ALICE, obj.id, { size: 103 });
      expect((await vfs.read(ALICE, obj.id, 100, 10)).data.toString()).toBe('pay');
      expect(await blocks.usedBytes()).toBe(103);
      await vfs.remove(ALICE, vfs.root(), 'f');
      expect(await blocks.usedBytes()).toBe(0);
      await blocks.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Vfs never exposes bytes beyond the logical size', () => {
  it('reads zeros where a failed write left data past the end, after growing by truncate or by a later write', async () => {
    const f = await makeVfs();
    const { obj } = await f.vfs.create(ALICE, f.vfs.root(), 'f', { kind: 'guarded', set: {} });
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('ab'), 'unstable');
    // Simulate data that reached the block store while its metadata transaction failed.
    await f.blocks.write(obj.contentId!, 2, Buffer.from('GARBAGE'));
    await f.vfs.setattr(ALICE, obj.id, { size: 5 });
    expect((await f.vfs.read(ALICE, obj.id, 0, 5)).data.equals(Buffer.from([0x61, 0x62, 0, 0, 0]))).toBe(true);
    // A stable write whose data reached the block store while its metadata commit failed.
    const update = f.meta.update.bind(f.meta);
    f.meta.update = () => Promise.reject(new Error('commit failed'));
    expect(await code(f.vfs.write(ALICE, obj.id, 5, Buffer.from('JUNK'), 'file_sync'))).not.toBe('OK');
    f.meta.update = update;
    expect((await f.vfs.getattr(obj.id)).size).toBe(5);
    await f.vfs.write(ALICE, obj.id, 10, Buffer.from('z'), 'unstable');
    expect((await f.vfs.read(ALICE, obj.id, 5, 6)).data.equals(Buffer.from([0, 0, 0, 0, 0, 0x7a]))).toBe(true);
  });
});
