import { beforeEach, describe, expect, it } from 'vitest';
import { code, ALICE, makeVfs, type Fixture } from './vfs-fixture.js';

describe('Vfs rename rules', () => {
  let f: Fixture;
  let root: number;
  const mkfile = async (dir: number, name: string, content = '') => {
    const { obj } = await f.vfs.create(ALICE, dir, name, { kind: 'guarded', set: {} });
    if (content) await f.vfs.write(ALICE, obj.id, 0, Buffer.from(content), 'unstable');
    return obj.id;
  };
  const mkdir = async (dir: number, name: string) => (await f.vfs.mkdir(ALICE, dir, name, {})).obj.id;
  const names = async (dir: number) => (await f.vfs.readdir(ALICE, dir, 0, 1000)).entries.map((e) => e.name).sort();

  beforeEach(async () => {
    f = await makeVfs();
    root = f.vfs.root();
  });

  it('moves a file within a directory and between directories', async () => {
    const id = await mkfile(root, 'a', 'hello');
    const d = await mkdir(root, 'd');
    await f.vfs.rename(ALICE, root, 'a', root, 'b');
    expect((await f.vfs.lookup(ALICE, root, 'b')).id).toBe(id);
    await f.vfs.rename(ALICE, root, 'b', d, 'c');
    expect(await names(root)).toEqual(['d']);
    expect((await f.vfs.lookup(ALICE, d, 'c')).id).toBe(id);
    expect((await f.vfs.read(ALICE, id, 0, 10)).data.toString()).toBe('hello');
  });

  it('over an existing file replaces it atomically and frees the replaced inode and content', async () => {
    const src = await mkfile(root, 'src', 'new');
    const dst = await mkfile(root, 'dst', 'old');
    const dstContent = (await f.vfs.getattr(dst)).contentId!;
    await f.vfs.rename(ALICE, root, 'src', root, 'dst');
    expect((await f.vfs.lookup(ALICE, root, 'dst')).id).toBe(src);
    expect(await names(root)).toEqual(['dst']);
    expect(await code(f.vfs.getattr(dst))).toBe('STALE');
    expect(await f.blocks.usedBytes()).toBeGreaterThan(0);
    expect((await f.blocks.read(dstContent, 0, 3)).equals(Buffer.alloc(3))).toBe(true);
  });

  it('over a file that has another link only drops one link', async () => {
    await mkfile(root, 'src');
    const dst = await mkfile(root, 'dst', 'keep');
    await f.vfs.link(ALICE, dst, root, 'other');
    await f.vfs.rename(ALICE, root, 'src', root, 'dst');
    expect((await f.vfs.getattr(dst)).nlink).toBe(1);
    expect((await f.vfs.read(ALICE, dst, 0, 4)).data.toString()).toBe('keep');
  });

  it('a directory over an empty directory succeeds; over a non-empty one is NOTEMPTY', async () => {
    const a = await mkdir(root, 'a');
    const empty = await mkdir(root, 'empty');
    const full = await mkdir(root, 'full');
    await mkfile(full, 'x');
    expect(await code(f.vfs.rename(ALICE, root, 'a', root, 'full'))).toBe('NOTEMPTY');
    await f.vfs.rename(ALICE, root, 'a', root, 'empty');
    expect((await f.vfs.lookup(ALICE, root, 'empty')).id).toBe(a);
    expect(await code(f.vfs.getattr(empty))).toBe('STALE');
    // root: 2 + full + empty(=a)
    expect((await f.vfs.getattr(root)).nlink).toBe(4);
  });

  it('a directory over a file is NOTDIR; a file over a directory is ISDIR', async () => {
    await mkdir(root, 'dir');
    await mkfile(root, 'file');
    expect(await code(f.vfs.rename(ALICE, root, 'dir', root, 'file'))).toBe('NOTDIR');
    expect(await code(f.vfs.rename(ALICE, root, 'file', root, 'dir'))).toBe('ISDIR');
    expect(await names(root)).toEqual(['dir', 'file']);
  });

  it('onto itself (same name, or another hard link of the same file) succeeds and changes nothing', async () => {
    const id = await mkfile(root, 'a');
    await f.vfs.link(ALICE, id, root, 'b');
    const before = await f.vfs.getattr(id);
    const dirBefore = await f.vfs.getattr(root);
    await f.vfs.rename(ALICE, root, 'a', root, 'a');
    await f.vfs.rename(ALICE, root, 'a', root, 'b');
    expect(await names(root)).toEqual(['a', 'b']);
    expect(await f.vfs.getattr(id)).toEqual(before);
    expect(await f.vfs.getattr(root)).toEqual(dirBefore);
  });

  it('a directory into its own subtree is INVAL', async () => {
    const a = await mkdir(root, 'a');
    const b = await mkdir(a, 'b');
    const c = await mkdir(b, 'c');
    expect(await code(f.vfs.rename(ALICE, root, 'a', c, 'a'))).toBe('INVAL');
    expect(await code(f.vfs.rename(ALICE, root, 'a', a, 'x'))).toBe('INVAL');
    expect(await names(root)).toEqual(['a']);
  });

  it('"." or ".." as source or target is INVAL', async () => {
    const d = await mkdir(root, 'd');
    await mkfile(d, 'f');
    expect(await code(f.vfs.rename(ALICE, d, '.', root, 'x'))).toBe('INVAL');
    expect(await code(f.vfs.rename(ALICE, d, '..', root, 'x'))).toBe('INVAL');
    expect(await code(f.vfs.rename(ALICE, d, 'f', root, '.'))).toBe('INVAL');
    expect(await code(f.vfs.rename(ALICE, d, 'f', root, '..'))).toBe('INVAL');
  });

  it('a missing source is NOENT; a bad target name INVAL/NAMETOOLONG', async () => {
    await mkfile(root, 'f');
    expect(await code(f.vfs.rename(ALICE, root, 'nope', root, 'x'))).toBe('NOENT');
    expect(await code(f.vfs.rename(ALICE, root, 'f', root, 'a/b'))).toBe('INVAL');
    expect(await code(f.vfs.rename(ALICE, root, 'f', root, 'x'.repeat(256)))).toBe('NAMETOOLONG');
  });

  it('moving a directory updates its ".." and the nlink of the old and new parents', async () => {
    const p1 = await mkdir(root, 'p1');
    const p2 = await mkdir(root, 'p2');
    const child = await mkdir(p1, 'child');
    expect((await f.vfs.getattr(p1)).nlink).toBe(3);
    expect((await f.vfs.getattr(p2)).nlink).toBe(2);
    await f.vfs.rename(ALICE, p1, 'child', p2, 'moved');
    expect((await f.vfs.getattr(p1)).nlink).toBe(2);
    expect((await f.vfs.getattr(p2)).nlink).toBe(3);
    expect((await f.vfs.lookup(ALICE, child, '..')).id).toBe(p2);
    expect((await f.vfs.getattr(child)).parent).toBe(p2);
    // Replacing an empty directory in the new parent keeps its count.
    const other = await mkdir(p1, 'other');
    await f.vfs.rename(ALICE, p1, 'other', p2, 'moved');
    expect((await f.vfs.getattr(p1)).nlink).toBe(2);
    expect((await f.vfs.getattr(p2)).nlink).toBe(3);
    expect((await f.vfs.lookup(ALICE, other, '..')).id).toBe(p2);
  });

  it('sets ctime of the moved object and mtime/ctime of both parents, leaving its mtime', async () => {
    const p1 = await mkdir(root, 'p1');
    const p2 = await mkdir(root, 'p2');
    const id = await mkfile(p1, 'f');
    const [f0, d10, d20] = [await f.vfs.getattr(id), await f.vfs.getattr(p1), await f.vfs.getattr(p2)];
    const res = await f.vfs.rename(ALICE, p1, 'f', p2, 'g');
    const f1 = await f.vfs.getattr(id);
    expect(f1.ctime.sec).toBeGreaterThan(f0.ctime.sec);
    expect(f1.mtime).toEqual(f0.mtime);
    expect(f1.change).toBeGreaterThan(f0.change);
    expect(res.fromDir.after.mtime.sec).toBeGreaterThan(d10.mtime.sec);
    expect(res.toDir.after.mtime.sec).toBeGreaterThan(d20.mtime.sec);
    expect(res.fromDir.before).toEqual(d10);
    expect(await f.vfs.getattr(p1)).toEqual(res.fromDir.after);
    expect(await f.vfs.getattr(p2)).toEqual(res.toDir.after);
  });

  it('moving a directory to another parent needs write permission on it', async () => {
    const p1 = await mkdir(root, 'p1');
    const p2 = await mkdir(root, 'p2');
    const child = await mkdir(p1, 'child');
    await f.vfs.setattr(ALICE, child, { mode: 0o555 });
    const bob = { uid: 1001, gid: 50, gids: [] };
    await f.vfs.setattr(ALICE, p1, { mode: 0o777 });
    await f.vfs.setattr(ALICE, p2, { mode: 0o777 });
    expect(await code(f.vfs.rename(bob, p1, 'child', p2, 'c'))).toBe('ACCES');
    expect(await code(f.vfs.rename(bob, p1, 'child', p1, 'c'))).toBe('OK');
  });
});
