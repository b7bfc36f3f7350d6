import { beforeEach, describe, expect, it } from 'vitest';
import { code, ALICE, makeVfs, type Fixture } from './vfs-fixture.js';
import type { Inode } from '../types.js';

const later = (a: { sec: number; nsec: number }, b: { sec: number; nsec: number }) =>
  a.sec > b.sec || (a.sec === b.sec && a.nsec > b.nsec);

describe('Vfs nlink accounting', () => {
  let f: Fixture;
  let root: number;
  beforeEach(async () => {
    f = await makeVfs();
    root = f.vfs.root();
  });

  it('directories have 2 + subdirectories; files count their links', async () => {
    expect((await f.vfs.getattr(root)).nlink).toBe(2);
    const { obj: a } = await f.vfs.mkdir(ALICE, root, 'a', {});
    expect(a.nlink).toBe(2);
    await f.vfs.mkdir(ALICE, root, 'b', {});
    await f.vfs.create(ALICE, root, 'file', { kind: 'guarded', set: {} });
    expect((await f.vfs.getattr(root)).nlink).toBe(4);
    await f.vfs.rmdir(ALICE, root, 'b');
    expect((await f.vfs.getattr(root)).nlink).toBe(3);
    const file = await f.vfs.lookup(ALICE, root, 'file');
    await f.vfs.link(ALICE, file.id, a.id, 'again');
    expect((await f.vfs.getattr(file.id)).nlink).toBe(2);
    await f.vfs.remove(ALICE, root, 'file');
    expect((await f.vfs.getattr(file.id)).nlink).toBe(1);
    expect((await f.vfs.lookup(ALICE, a.id, 'again')).id).toBe(file.id);
    await f.vfs.remove(ALICE, a.id, 'again');
    expect(await code(f.vfs.getattr(file.id))).toBe('STALE');
  });

  it('enforces the link limit (MLINK) for hard links and subdirectories', async () => {
    const g = await makeVfs({ maxLinks: 4 });
    const r = g.vfs.root();
    const { obj } = await g.vfs.create(ALICE, r, 'f', { kind: 'guarded', set: {} });
    for (let i = 0; i < 3; i++) await g.vfs.link(ALICE, obj.id, r, `l${i}`);
    expect(await code(g.vfs.link(ALICE, obj.id, r, 'one-too-many'))).toBe('MLINK');
    await g.vfs.mkdir(ALICE, r, 'd1', {});
    await g.vfs.mkdir(ALICE, r, 'd2', {});
    expect(await code(g.vfs.mkdir(ALICE, r, 'd3', {}))).toBe('MLINK');
  });

  it('link of a directory is PERM; rmdir of a file NOTDIR; remove of a directory ISDIR; rmdir non-empty NOTEMPTY', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, root, 'd', {});
    await f.vfs.create(ALICE, d.id, 'f', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.link(ALICE, d.id, root, 'dl'))).toBe('PERM');
    expect(await code(f.vfs.rmdir(ALICE, d.id, 'f'))).toBe('NOTDIR');
    expect(await code(f.vfs.remove(ALICE, root, 'd'))).toBe('ISDIR');
    expect(await code(f.vfs.rmdir(ALICE, root, 'd'))).toBe('NOTEMPTY');
    expect(await code(f.vfs.remove(ALICE, root, 'missing'))).toBe('NOENT');
  });
});

describe('Vfs timestamps and change counter', () => {
  let f: Fixture;
  let root: number;
  let dir: Inode;
  beforeEach(async () => {
    f = await makeVfs();
    root = f.vfs.root();
    dir = (await f.vfs.mkdir(ALICE, root, 'd', {})).obj;
  });

  it('create sets all four times of the new file and mtime/ctime of the parent', async () => {
    const { obj, dir: wcc } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    expect(obj.atime).toEqual(obj.btime);
    expect(obj.mtime).toEqual(obj.btime);
    expect(obj.ctime).toEqual(obj.btime);
    expect(later(obj.btime, dir.btime)).toBe(true);
    expect(wcc.before).toEqual(dir);
    expect(wcc.after.mtime).toEqual(obj.btime);
    expect(wcc.after.ctime).toEqual(obj.btime);
    expect(wcc.after.atime).toEqual(dir.atime);
    expect(wcc.after.change).toBeGreaterThan(dir.change);
  });

  it('write sets mtime and ctime (not atime); a zero-length write changes nothing', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    const w = await f.vfs.write(ALICE, obj.id, 0, Buffer.from('x'), 'unstable');
    expect(later(w.after.mtime, obj.mtime)).toBe(true);
    expect(w.after.ctime).toEqual(w.after.mtime);
    expect(w.after.atime).toEqual(obj.atime);
    expect(w.after.change).toBe(obj.change + 1);
    expect(w.before).toEqual(obj);
    const z = await f.vfs.write(ALICE, obj.id, 0, Buffer.alloc(0), 'unstable');
    expect(z.after).toEqual(w.after);
    expect(await f.vfs.getattr(obj.id)).toEqual(w.after);
  });

  it('setattr sets ctime; mode change leaves mtime; truncate to a new size sets mtime too', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    const m = await f.vfs.setattr(ALICE, obj.id, { mode: 0o600 });
    expect(later(m.after.ctime, obj.ctime)).toBe(true);
    expect(m.after.mtime).toEqual(obj.mtime);
    const s = await f.vfs.setattr(ALICE, obj.id, { size: 100 });
    expect(later(s.after.mtime, obj.mtime)).toBe(true);
    expect(s.after.ctime).toEqual(s.after.mtime);
    expect(s.after.change).toBe(m.after.change + 1);
    // POSIX truncate: same size → mtime untouched (ctime still set by setattr).
    const same = await f.vfs.setattr(ALICE, obj.id, { size: 100 });
    expect(same.after.mtime).toEqual(s.after.mtime);
  });

  it('setattr honours the ctime guard (NOT_SYNC on mismatch)', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.setattr(ALICE, obj.id, { mode: 0o600 }, { sec: 1, nsec: 0 }))).toBe('NOT_SYNC');
    expect(await code(f.vfs.setattr(ALICE, obj.id, { mode: 0o600 }, obj.ctime))).toBe('OK');
    expect((await f.vfs.getattr(obj.id)).mode).toBe(0o600);
  });

  it('link sets ctime of the file and mtime/ctime of the directory, not the file mtime', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    const d0 = await f.vfs.getattr(dir.id);
    const l = await f.vfs.link(ALICE, obj.id, dir.id, 'g');
    expect(later(l.obj.ctime, obj.ctime)).toBe(true);
    expect(l.obj.mtime).toEqual(obj.mtime);
    expect(later(l.dir.after.mtime, d0.mtime)).toBe(true);
    expect(l.dir.after.ctime).toEqual(l.dir.after.mtime);
  });

  it('remove of one of two links sets the file ctime and the directory mtime/ctime', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    await f.vfs.link(ALICE, obj.id, dir.id, 'g');
    const f1 = await f.vfs.getattr(obj.id);
    const r = await f.vfs.remove(ALICE, dir.id, 'g');
    const f2 = await f.vfs.getattr(obj.id);
    expect(later(f2.ctime, f1.ctime)).toBe(true);
    expect(f2.mtime).toEqual(f1.mtime);
    expect(later(r.dir.after.mtime, r.dir.before!.mtime)).toBe(true);
  });

  it('lookup, getattr, readdir and access change no timestamps', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    const d0 = await f.vfs.getattr(dir.id);
    await f.vfs.lookup(ALICE, dir.id, 'f');
    await f.vfs.readdir(ALICE, dir.id, 0, 10);
    await f.vfs.access(ALICE, obj.id, 0x3f);
    expect(await f.vfs.getattr(dir.id)).toEqual(d0);
    expect(await f.vfs.getattr(obj.id)).toEqual(obj);
  });

  it('read updates atime relatime-style: after a change, then not again until a day passes', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('abc'), 'unstable');
    const r1 = await f.vfs.read(ALICE, obj.id, 0, 3);
    expect(later(r1.attr.atime, r1.attr.mtime)).toBe(true);
    expect(r1.attr.ctime).toEqual((await f.vfs.getattr(obj.id)).ctime);
    const r2 = await f.vfs.read(ALICE, obj.id, 0, 3);
    expect(r2.attr.atime).toEqual(r1.attr.atime);
    f.clock.advance(24 * 3600);
    const r3 = await f.vfs.read(ALICE, obj.id, 0, 3);
    expect(later(r3.attr.atime, r1.attr.atime)).toBe(true);
    expect(r3.attr.change).toBe(r1.attr.change);
    expect(await f.vfs.getattr(obj.id)).toEqual(r3.attr);
  });

  it('setattr with server time uses the server clock; explicit times are stored as given', async () => {
    const { obj } = await f.vfs.create(ALICE, dir.id, 'f', { kind: 'guarded', set: {} });
    const s = await f.vfs.setattr(ALICE, obj.id, { atime: 'server', mtime: { sec: 42, nsec: 7 } });
    expect(s.after.mtime).toEqual({ sec: 42, nsec: 7 });
    expect(s.after.atime).toEqual(s.after.ctime);
    expect(later(s.after.atime, obj.atime)).toBe(true);
  });
});
