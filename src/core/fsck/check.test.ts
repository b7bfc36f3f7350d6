import { beforeEach, describe, expect, it } from 'vitest';
import { ROOT_ID, type FileId } from '../types.js';
import { ALICE, makeVfs, type Fixture } from '../vfs/vfs-fixture.js';
import { checkShareStores } from './check.js';
import { isClean, type CheckReport } from './problems.js';

const kinds = (r: CheckReport) => r.found.map((p) => p.kind).sort();

/** Add an entry behind the VFS's back, with a proper cookie (the directory's nextCookie, then bumped). */
async function addRaw(f: Fixture, dir: FileId, name: string, id: FileId): Promise<void> {
  await f.meta.update(async (tx) => {
    const d = (await tx.getInode(dir))!;
    await tx.addEntry(dir, name, id, d.nextCookie!);
    await tx.putInode({ ...d, nextCookie: d.nextCookie! + 1 });
  });
}

/** A small tree made through the VFS: /a/b (dirs), /a/f (2 KiB, hard-linked as /g), /s -> a. */
async function tree(f: Fixture): Promise<{ a: FileId; b: FileId; file: FileId; s: FileId }> {
  const root = f.vfs.root();
  const a = (await f.vfs.mkdir(ALICE, root, 'a', {})).obj.id;
  const b = (await f.vfs.mkdir(ALICE, a, 'b', {})).obj.id;
  const file = (await f.vfs.create(ALICE, a, 'f', { kind: 'guarded', set: {} })).obj.id;
  await f.vfs.write(ALICE, file, 0, Buffer.alloc(2048, 7), 'file_sync');
  await f.vfs.link(ALICE, file, root, 'g');
  const s = (await f.vfs.symlink(ALICE, root, 's', 'a', {})).obj.id;
  return { a, b, file, s };
}

describe('consistency checker: detection', () => {
  let f: Fixture;
  let t: Awaited<ReturnType<typeof tree>>;
  beforeEach(async () => {
    f = await makeVfs();
    t = await tree(f);
  });

  it('finds nothing wrong in a tree the VFS built, and counts what it walked', async () => {
    const r = await checkShareStores({ meta: f.meta, blocks: f.blocks });
    expect(r.found).toEqual([]);
    expect(isClean(r)).toBe(true);
    expect(r.stats).toMatchObject({ inodes: 5, directories: 3, entries: 5, contents: 1, passes: 1 });
    expect(r.contentChecked).toBe(true);
  });

  it('reports an entry naming a missing inode', async () => {
    await addRaw(f, ROOT_ID, 'ghost', 999);
    const r = await checkShareStores({ meta: f.meta, blocks: f.blocks });
    expect(r.found).toMatchObject([
      { kind: 'dangling-entry', dir: ROOT_ID, name: 'ghost', id: 999, severity: 'error' },
    ]);
    expect(isClean(r)).toBe(false);
  });

  it('reports wrong link counts of files and directories', async () => {
    await f.meta.update(async (tx) => {
      await tx.putInode({ ...(await tx.getInode(t.file))!, nlink: 5 });
      await tx.putInode({ ...(await tx.getInode(t.a))!, nlink: 2 });
    });
    const r = await checkShareStores({ meta: f.meta });
    expect(r.found).toMatchObject([
      { kind: 'wrong-nlink', id: t.a, expected: 3, actual: 2 },
      { kind: 'wrong-nlink', id: t.file, expected: 2, actual: 5 },
    ]);
  });

  it('reports a directory whose parent disagrees with the entry holding it', async () => {
    await f.meta.update(async (tx) => tx.putInode({ ...(await tx.getInode(t.b))!, parent: ROOT_ID }));
    const r = await checkShareStores({ meta: f.meta });
    expect(r.found).toMatchObject([{ kind: 'wrong-parent', id: t.b, expected: t.a, actual: ROOT_ID }]);
  });

  it('reports a directory cycle cut off from the root, and a directory linked twice', async () => {
    // a/b/loop -> a, and a removed from the root: {a, b} is a cycle nothing reaches.
    await addRaw(f, t.b, 'loop', t.a);
    await f.meta.update((tx) => tx.removeEntry(ROOT_ID, 'a'));
    let r = await checkShareStores({ meta: f.meta });
    // The root's nlink still counts a; the file inside the cycle is not an orphan (its entry exists).
    expect(r.found).toMatchObject([
      { kind: 'unreachable-directory', id: t.a },
      { kind: 'unreachable-directory', id: t.b },
      { kind: 'wrong-nlink', id: ROOT_ID, expected: 2, actual: 3 },
    ]);
    f = await makeVfs();
    t = await tree(f);
    await addRaw(f, ROOT_ID, 'b-again', t.b);
    r = await checkShareStores({ meta: f.meta });
    expect(kinds(r)).toEqual(['multiply-linked-directory', 'wrong-nlink']);
  });

  it('reports inodes nothing names, and content no inode references as a warning', async () => {
    await f.meta.update(async (tx) => {
      await tx.putInode({ ...(await tx.getInode(t.s))!, id: 500 });
      const e = (await tx.lookup(ROOT_ID, 's'))!;
      await tx.removeEntry(ROOT_ID, 's');
      await tx.deleteInode(t.s);
      await tx.addEntry(ROOT_ID, 's', 500, e.cookie);
      await tx.putInode({ ...(await tx.getInode(t.file))!, id: 600, contentId: 'lonely' });
    });
    await f.blocks.write('stray', 0, Buffer.from('x'));
    const r = await checkShareStores({ meta: f.meta, blocks: f.blocks });
    expect(r.found).toMatchObject([
      { kind: 'orphan-inode', id: 600, severity: 'error' },
      { kind: 'unreferenced-content', contentId: 'stray', severity: 'warning' },
    ]);
    await f.meta.update((tx) => tx.deleteInode(600));
    const warnOnly = await checkShareStores({ meta: f.meta, blocks: f.blocks });
    expect(kinds(warnOnly)).toEqual(['unreferenced-content']);
    expect(isClean(warnOnly)).toBe(true);
  });

  it('reports an entry cookie at or above its directory nextCookie', async () => {
    await f.meta.update(async (tx) => tx.addEntry(ROOT_ID, 'late', t.s, 10_000));
    await f.meta.update(async (tx) => tx.putInode({ ...(await tx.getInode(t.s))!, nlink: 2 }));
    const r = await checkShareStores({ meta: f.meta });
    expect(r.found).toMatchObject([{ kind: 'cookie-not-below-next', dir: ROOT_ID, name: 'late', expected: 10_001 }]);
  });
});

describe('consistency checker: repair', () => {
  let f: Fixture;
  let t: Awaited<ReturnType<typeof tree>>;
  beforeEach(async () => {
    f = await makeVfs();
    t = await tree(f);
  });

  async function repairedClean(): Promise<CheckReport> {
    const r = await checkShareStores({ meta: f.meta, blocks: f.blocks, repair: true });
    expect(r.remaining).toEqual([]);
    const again = await checkShareStores({ meta: f.meta, blocks: f.blocks });
    expect(again.found).toEqual([]);
    return r;
  }

  it('removes dangling entries, fixes nlink and parent, and the VFS can use the result', async () => {
    await addRaw(f, t.a, 'ghost', 999);
    await f.meta.update(async (tx) => {
      await tx.putInode({ ...(await tx.getInode(t.file))!, nlink: 9 });
      await tx.putInode({ ...(await tx.getInode(t.b))!, parent: 77, nlink: 4 });
    });
    const r = await repairedClean();
    expect(r.repaired).toBe(4);
    expect(r.found.every((p) => p.repair !== undefined)).toBe(true);
    expect((await f.vfs.getattr(t.file)).nlink).toBe(2);
    expect((await f.vfs.getattr(t.b)).parent).toBe(t.a);
    await f.vfs.rmdir(ALICE, t.a, 'b');
    expect((await f.vfs.getattr(t.a)).nlink).toBe(2);
  });

  it('deletes an unlinked orphan with its content, and moves one holding data to /lost+found', async () => {
    await f.meta.update(async (tx) => {
      const file = (await tx.getInode(t.file))!;
      await tx.putInode({ ...file, id: 600, nlink: 0, contentId: 'dead' });
      await tx.putInode({ ...file, id: 700, nlink: 1, size: 5, contentId: 'kept' });
    });
    await f.blocks.write('dead', 0, Buffer.from('gone'));
    await f.blocks.write('kept', 0, Buffer.from('hello'));
    await repairedClean();
    expect(await f.meta.view((tx) => tx.getInode(600))).toBeUndefined();
    const ids: string[] = [];
    for await (const id of f.blocks.listContent()) ids.push(id);
    expect(ids).not.toContain('dead');
    const lf = await f.vfs.lookup(ALICE, ROOT_ID, 'lost+found').catch(() => undefined);
    // lost+found is 0700 root: alice cannot look into it, root can.
    expect(lf).toBeDefined();
    const found = await f.vfs.lookup({ uid: 0, gid: 0, gids: [] }, lf!.id, '#700');
    expect(found.id).toBe(700);
    const { data } = await f.vfs.read({ uid: 0, gid: 0, gids: [] }, 700, 0, 5);
    expect(data.toString()).toBe('hello');
  });

  it('reattaches a detached directory cycle under /lost+found and fixes every count', async () => {
    await addRaw(f, t.b, 'loop', t.a);
    await f.meta.update((tx) => tx.removeEntry(ROOT_ID, 'a'));
    await repairedClean();
    const lf = await f.vfs.lookup(ALICE, ROOT_ID, 'lost+found');
    expect(lf.nlink).toBe(3);
    const a = await f.vfs.lookup({ uid: 0, gid: 0, gids: [] }, lf.id, `#${t.a}`);
    expect(a.parent).toBe(lf.id);
    await expect(f.vfs.lookup(ALICE, t.b, 'loop')).rejects.toMatchObject({ code: 'NOENT' });
  });

  it('removes the extra entry of a directory linked twice, keeping the one its parent names', async () => {
    await addRaw(f, ROOT_ID, 'b-again', t.b);
    await repairedClean();
    await expect(f.vfs.lookup(ALICE, ROOT_ID, 'b-again')).rejects.toMatchObject({ code: 'NOENT' });
    expect((await f.vfs.lookup(ALICE, t.a, 'b')).id).toBe(t.b);
  });

  it('deletes unreferenced content', async () => {
    await f.blocks.write('stray', 0, Buffer.from('x'));
    const r = await repairedClean();
    expect(r.found).toMatchObject([{ kind: 'unreferenced-content', repair: 'deleted the content' }]);
  });
});
