import { beforeEach, describe, expect, it } from 'vitest';
import { code, ALICE, makeVfs, type Fixture } from './vfs-fixture.js';

describe('Vfs readdir', () => {
  let f: Fixture;
  let root: number;
  beforeEach(async () => {
    f = await makeVfs();
    root = f.vfs.root();
  });

  it('lists entries from cookie 3 up, without "." and "..", with eof', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, root, 'd', {});
    expect(await f.vfs.readdir(ALICE, d.id, 0, 10)).toMatchObject({ entries: [], eof: true });
    await f.vfs.create(ALICE, d.id, 'a', { kind: 'guarded', set: {} });
    const { obj: b } = await f.vfs.mkdir(ALICE, d.id, 'b', {});
    const r = await f.vfs.readdir(ALICE, d.id, 0, 10);
    expect(r.entries.map((e) => [e.name, e.cookie])).toEqual([
      ['a', 3],
      ['b', 4],
    ]);
    expect(r.entries[1].id).toBe(b.id);
    expect(r.eof).toBe(true);
    expect(r.dir.id).toBe(d.id);
    const p1 = await f.vfs.readdir(ALICE, d.id, 0, 1);
    expect(p1.entries.map((e) => e.name)).toEqual(['a']);
    expect(p1.eof).toBe(false);
    // Cookies 1 and 2 (synthesised "." and "..") resume at the start.
    expect((await f.vfs.readdir(ALICE, d.id, 2, 10)).entries).toHaveLength(2);
  });

  it('never reuses cookies: a re-created name gets a new one', async () => {
    await f.vfs.create(ALICE, root, 'x', { kind: 'guarded', set: {} });
    await f.vfs.remove(ALICE, root, 'x');
    await f.vfs.create(ALICE, root, 'x', { kind: 'guarded', set: {} });
    expect((await f.vfs.readdir(ALICE, root, 0, 10)).entries.map((e) => e.cookie)).toEqual([4]);
  });

  it('a cookie beyond any the directory handed out is BADCOOKIE; a non-directory NOTDIR', async () => {
    await f.vfs.create(ALICE, root, 'x', { kind: 'guarded', set: {} });
    const { nextCookie } = await f.vfs.getattr(root);
    expect(await code(f.vfs.readdir(ALICE, root, nextCookie!, 10))).toBe('OK');
    expect(await code(f.vfs.readdir(ALICE, root, nextCookie! + 1, 10))).toBe('BADCOOKIE');
    expect(await code(f.vfs.readdir(ALICE, root, -1, 10))).toBe('BADCOOKIE');
    const x = await f.vfs.lookup(ALICE, root, 'x');
    expect(await code(f.vfs.readdir(ALICE, x.id, 0, 10))).toBe('NOTDIR');
  });

  it('the cookie verifier is 8 bytes, stable while the directory changes, different for another directory', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, root, 'd', {});
    const { obj: e } = await f.vfs.mkdir(ALICE, root, 'e', {});
    const v1 = f.vfs.cookieVerifier(d);
    expect(v1.length).toBe(8);
    await f.vfs.create(ALICE, d.id, 'a', { kind: 'guarded', set: {} });
    await f.vfs.setattr(ALICE, d.id, { mode: 0o700 });
    expect(f.vfs.cookieVerifier(await f.vfs.getattr(d.id)).equals(v1)).toBe(true);
    expect(f.vfs.cookieVerifier(e).equals(v1)).toBe(false);
  });

  it('pages 100,000 entries with stable cookies while entries are removed and added between pages', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, root, 'big', {});
    const N = 100_000;
    // Build the directory through the store in a few big transactions (the VFS path is covered elsewhere):
    // 100,000 single-entry transactions would dominate the test's time without testing more.
    await f.meta.update(async (tx) => {
      const dir = (await tx.getInode(d.id))!;
      for (let i = 0; i < N; i++) {
        const id = await tx.allocateId();
        await tx.putInode({
          ...dir,
          id,
          type: 'reg',
          nlink: 1,
          size: 0,
          mode: 0o644,
          nextCookie: undefined,
          parent: undefined,
        });
        await tx.addEntry(d.id, `n${i}`, id, 3 + i);
      }
      await tx.putInode({ ...dir, nextCookie: 3 + N });
    });
    const seen = new Map<string, number>();
    let cookie = 0;
    let pages = 0;
    let eof = false;
    while (!eof) {
      const r = await f.vfs.readdir(ALICE, d.id, cookie, 1024);
      for (const e of r.entries) {
        if (e.cookie <= cookie) throw new Error(`cookie went backwards at ${e.name}`);
        if (seen.has(e.name)) throw new Error(`duplicate ${e.name}`);
        seen.set(e.name, e.cookie);
        cookie = e.cookie;
      }
      eof = r.eof;
      pages++;
      if (pages === 20) {
        // Between pages: remove some already listed and some not yet listed; add new ones.
        for (let i = 0; i < 50; i++) await f.vfs.remove(ALICE, d.id, `n${i}`);
        for (let i = 60_000; i < 60_050; i++) await f.vfs.remove(ALICE, d.id, `n${i}`);
        for (let i = 0; i < 30; i++) await f.vfs.create(ALICE, d.id, `new${i}`, { kind: 'guarded', set: {} });
      }
    }
    expect(pages).toBeGreaterThan(90);
    // Everything not removed is listed exactly once; removed-ahead entries are not; additions are.
    expect(seen.size).toBe(N - 50 + 30);
    expect(seen.has('n60000')).toBe(false);
    expect(seen.has('n0')).toBe(true);
    expect(seen.get('new29')).toBe(3 + N + 29);
    // Resuming from the cookie of a removed entry continues right after it.
    const r = await f.vfs.readdir(ALICE, d.id, 3 + 60_000, 2);
    expect(r.entries.map((e) => e.name)).toEqual(['n60050', 'n60051']);
  });
});
