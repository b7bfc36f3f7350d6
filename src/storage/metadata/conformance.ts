import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFsError } from '../../core/errors.js';
import { ROOT_ID, type FileId, type Inode } from '../../core/types.js';
import type { MetadataStore } from './store.js';

/** A plain inode for store tests (stores apply no POSIX rule, so any values do). */
export function sampleInode(id: FileId, over: Partial<Inode> = {}): Inode {
  const t = { sec: 1_700_000_000, nsec: 123_456_789 };
  return {
    id,
    generation: 7,
    type: 'reg',
    mode: 0o644,
    nlink: 1,
    uid: 1000,
    gid: 1000,
    size: 0,
    rdev: { major: 0, minor: 0 },
    atime: t,
    mtime: t,
    ctime: t,
    btime: t,
    change: 1,
    ...over,
  };
}

const rootInode = sampleInode(ROOT_ID, { type: 'dir', mode: 0o755, nlink: 2, nextCookie: 3, parent: ROOT_ID });

/**
 * The metadata-store conformance suite (DESIGN.md "Metadata store"): every
 * backend runs it; a backend is done when it is green. `factory` returns a
 * fresh, empty, not yet opened store.
 */
export function runMetadataStoreConformance(name: string, factory: () => Promise<MetadataStore>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let store: MetadataStore;

    beforeEach(async () => {
      store = await factory();
      await store.open({ rootInode });
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates the root on open and open is idempotent', async () => {
      await store.open({ rootInode: { ...rootInode, mode: 0o700 } });
      const root = await store.view((tx) => tx.getInode(ROOT_ID));
      expect(root).toEqual(rootInode);
    });

    it('puts, gets, replaces and deletes inodes verbatim', async () => {
      const ino = sampleInode(42, {
        type: 'lnk',
        symlink: 'target/ü',
        contentId: 'c-42',
        createVerf: '0011223344556677',
        rdev: { major: 8, minor: 1 },
        size: 2 ** 40,
      });
      await store.update((tx) => tx.putInode(ino));
      expect(await store.view((tx) => tx.getInode(42))).toEqual(ino);
      await store.update((tx) => tx.putInode({ ...ino, mode: 0o600, change: 2 }));
      expect(await store.view((tx) => tx.getInode(42))).toMatchObject({ mode: 0o600, change: 2 });
      await store.update((tx) => tx.deleteInode(42));
      expect(await store.view((tx) => tx.getInode(42))).toBeUndefined();
    });

    it('does not let callers alias stored inodes (mutating a read or written object has no effect or throws)', async () => {
      const mine = sampleInode(5);
      await store.update((tx) => tx.putInode(mine));
      mine.mode = 0o777;
      mine.atime.sec = 2;
      const a = await store.view((tx) => tx.getInode(5));
      try {
        a!.mode = 0o777;
        a!.mtime.sec = 1;
      } catch (e) {
        expect(e).toBeInstanceOf(TypeError);
      }
      const b = await store.view((tx) => tx.getInode(5));
      expect(b!.mode).toBe(0o644);
      expect(b!.mtime.sec).toBe(1_700_000_000);
      expect(b!.atime.sec).toBe(1_700_000_000);
    });

    it('adds, looks up and removes directory entries', async () => {
      await store.update(async (tx) => {
        await tx.putInode(sampleInode(10));
        await tx.addEntry(ROOT_ID, 'a', 10, 3);
        await tx.addEntry(ROOT_ID, 'ünï', 10, 4);
      });
      expect(await store.view((tx) => tx.lookup(ROOT_ID, 'a'))).toEqual({ name: 'a', id: 10, cookie: 3 });
      expect(await store.view((tx) => tx.lookup(ROOT_ID, 'ünï'))).toEqual({ name: 'ünï', id: 10, cookie: 4 });
      expect(await store.view((tx) => tx.lookup(ROOT_ID, 'b'))).toBeUndefined();
      await store.update((tx) => tx.removeEntry(ROOT_ID, 'a'));
      expect(await store.view((tx) => tx.lookup(ROOT_ID, 'a'))).toBeUndefined();
      expect(await store.view((tx) => tx.readdir(ROOT_ID, 0, 10))).toEqual([{ name: 'ünï', id: 10, cookie: 4 }]);
    });

    it('rejects adding an existing name and removing a missing one', async () => {
      await store.update((tx) => tx.addEntry(ROOT_ID, 'a', 10, 3));
      await expect(store.update((tx) => tx.addEntry(ROOT_ID, 'a', 11, 4))).rejects.toSatisfy((e) =>
        isFsError(e, 'EXIST'),
      );
      await expect(store.update((tx) => tx.removeEntry(ROOT_ID, 'zz'))).rejects.toSatisfy((e) => isFsError(e, 'NOENT'));
    });

    it('sees its own writes inside a transaction (lookup, readdir, hasEntries, getInode)', async () => {
      await store.update(async (tx) => {
        await tx.addEntry(ROOT_ID, 'old', 20, 3);
      });
      await store.update(async (tx) => {
        await tx.putInode(sampleInode(21));
        expect(await tx.getInode(21)).toMatchObject({ id: 21 });
        await tx.removeEntry(ROOT_ID, 'old');
        expect(await tx.hasEntries(ROOT_ID)).toBe(false);
        expect(await tx.lookup(ROOT_ID, 'old')).toBeUndefined();
        await tx.addEntry(ROOT_ID, 'new', 21, 4);
        expect(await tx.lookup(ROOT_ID, 'new')).toEqual({ name: 'new', id: 21, cookie: 4 });
        expect(await tx.hasEntries(ROOT_ID)).toBe(true);
        await tx.addEntry(ROOT_ID, 'old', 21, 5);
        expect((await tx.readdir(ROOT_ID, 0, 10)).map((e) => [e.name, e.cookie])).toEqual([
          ['new', 4],
          ['old', 5],
        ]);
        await tx.deleteInode(21);
        expect(await tx.getInode(21)).toBeUndefined();
      });
      expect((await store.view((tx) => tx.readdir(ROOT_ID, 0, 10))).map((e) => e.cookie)).toEqual([4, 5]);
    });

    it('reports hasEntries', async () => {
      expect(await store.view((tx) => tx.hasEntries(ROOT_ID))).toBe(false);
      await store.update((tx) => tx.addEntry(ROOT_ID, 'x', 30, 3));
      expect(await store.view((tx) => tx.hasEntries(ROOT_ID))).toBe(true);
      await store.update((tx) => tx.removeEntry(ROOT_ID, 'x'));
      expect(await store.view((tx) => tx.hasEntries(ROOT_ID))).toBe(false);
    });

    it('lists 100,000 entries in cookie order, paged by cookie, stable across removals and additions', async () => {
      const N = 100_000;
      const dir = 50;
      await store.update(async (tx) => {
        await tx.putInode(sampleInode(dir, { type: 'dir', nlink: 2, nextCookie: 3 }));
        for (let i = 0; i < N; i++) await tx.addEntry(dir, `f${i}`, 1000 + i, 3 + i);
      });
      const seen: number[] = [];
      let cookie = 0;
      let page = 0;
      for (;;) {
        const entries = await store.view((tx) => tx.readdir(dir, cookie, 1000));
        if (entries.length === 0) break;
        for (const e of entries) {
          if (e.cookie <= cookie) throw new Error(`cookie ${e.cookie} not after ${cookie}`);
          seen.push(e.cookie);
          cookie = e.cookie;
        }
        page++;
        if (page === 10) {
          // Between pages: remove entries behind and ahead of the cursor and add new ones.
          await store.update(async (tx) => {
            for (let i = 0; i < 5000; i++) await tx.removeEntry(dir, `f${i}`);
            for (let i = 50_000; i < 60_000; i++) await tx.removeEntry(dir, `f${i}`);
            for (let i = 0; i < 100; i++) await tx.addEntry(dir, `g${i}`, 500_000 + i, 3 + N + i);
          });
        }
      }
      // Pages 1-10 saw f0..f9999; removed f50000..f59999 never appear; g* appear at the end.
      expect(seen.length).toBe(N - 10_000 + 100);
      expect(seen.includes(3 + 55_000)).toBe(false);
      expect(seen[seen.length - 1]).toBe(3 + N + 99);
      // A cookie of a removed entry still resumes correctly.
      const after = await store.view((tx) => tx.readdir(dir, 3 + 50_000, 2));
      expect(after.map((e) => e.name)).toEqual(['f60000', 'f60001']);
    });

    it('stores, lists and removes xattrs and drops them with the inode', async () => {
      await store.update(async (tx) => {
        await tx.putInode(sampleInode(60));
        await tx.setXattr(60, 'user.a', Buffer.from('one'));
        await tx.setXattr(60, 'user.b', Buffer.alloc(0));
      });
      expect((await store.view((tx) => tx.getXattr(60, 'user.a')))?.toString()).toBe('one');
      expect((await store.view((tx) => tx.getXattr(60, 'user.b')))?.length).toBe(0);
      expect((await store.view((tx) => tx.listXattrs(60))).sort()).toEqual(['user.a', 'user.b']);
      await store.update((tx) => tx.removeXattr(60, 'user.a'));
      expect(await store.view((tx) => tx.getXattr(60, 'user.a'))).toBeUndefined();
      expect(await store.view((tx) => tx.listXattrs(60))).toEqual(['user.b']);
      await store.update((tx) => tx.deleteInode(60));
      expect(await store.view((tx) => tx.listXattrs(60))).toEqual([]);
    });

    it('stores and deletes state records', async () => {
      await store.update((tx) => tx.putState('verf', Buffer.from([1, 2, 3])));
      expect(await store.view((tx) => tx.getState('verf'))).toEqual(Buffer.from([1, 2, 3]));
      await store.update((tx) => tx.deleteState('verf'));
      expect(await store.view((tx) => tx.getState('verf'))).toBeUndefined();
    });

    it('reports usage: inode count and regular-file bytes', async () => {
      const before = await store.view((tx) => tx.usage());
      await store.update(async (tx) => {
        await tx.putInode(sampleInode(70, { size: 1000 }));
        await tx.putInode(sampleInode(71, { type: 'dir', size: 4096 }));
      });
      const after = await store.view((tx) => tx.usage());
      expect(after.inodes).toBe(before.inodes + 2);
      expect(after.bytes).toBe(before.bytes + 1000);
    });

    it('rolls back everything when an update throws', async () => {
      await store.update((tx) => tx.putInode(sampleInode(80, { mode: 0o600 })));
      await expect(
        store.update(async (tx) => {
          await tx.putInode(sampleInode(80, { mode: 0o777 }));
          await tx.putInode(sampleInode(81));
          await tx.addEntry(ROOT_ID, 'ghost', 81, 3);
          await tx.setXattr(80, 'user.x', Buffer.from('x'));
          await tx.putState('s', Buffer.from('s'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await store.view(async (tx) => {
        expect((await tx.getInode(80))!.mode).toBe(0o600);
        expect(await tx.getInode(81)).toBeUndefined();
        expect(await tx.lookup(ROOT_ID, 'ghost')).toBeUndefined();
        expect(await tx.hasEntries(ROOT_ID)).toBe(false);
        expect(await tx.getXattr(80, 'user.x')).toBeUndefined();
        expect(await tx.getState('s')).toBeUndefined();
      });
    });

    it('does not show uncommitted writes to views', async () => {
      let release!: () => void;
      const wait = new Promise<void>((r) => (release = r));
      let reached!: () => void;
      const inside = new Promise<void>((r) => (reached = r));
      const u = store.update(async (tx) => {
        await tx.putInode(sampleInode(90));
        reached();
        await wait;
      });
      await inside;
      expect(await store.view((tx) => tx.getInode(90))).toBeUndefined();
      release();
      await u;
      expect(await store.view((tx) => tx.getInode(90))).toBeDefined();
    });

    it('gives a view one consistent snapshot even when an update commits while it runs', async () => {
      await store.update(async (tx) => {
        await tx.putInode(sampleInode(95, { size: 1 }));
        await tx.putInode(sampleInode(96, { size: 1 }));
      });
      let inside!: () => void;
      const started = new Promise<void>((r) => (inside = r));
      const seen = store.view(async (tx) => {
        const a = (await tx.getInode(95))!.size;
        inside();
        await new Promise((r) => setTimeout(r, 20));
        const b = (await tx.getInode(96))!.size;
        return [a, b];
      });
      await started;
      const u = store.update(async (tx) => {
        await tx.putInode(sampleInode(95, { size: 2 }));
        await tx.putInode(sampleInode(96, { size: 2 }));
      });
      expect(await seen).toEqual([1, 1]);
      await u;
      expect((await store.view((tx) => tx.getInode(96)))!.size).toBe(2);
    });

    it('lists inodes by ascending id in pages, and an update sees its own puts and deletes', async () => {
      await store.update(async (tx) => {
        for (const id of [30, 10, 20, 40]) await tx.putInode(sampleInode(id, { size: id }));
      });
      const ids = (await store.view((tx) => tx.listInodes(0, 100))).map((i) => i.id);
      expect(ids).toEqual([ROOT_ID, 10, 20, 30, 40]);
      const page = await store.view((tx) => tx.listInodes(10, 2));
      expect(page.map((i) => i.id)).toEqual([20, 30]);
      expect(page[0]).toEqual(sampleInode(20, { size: 20 }));
      expect(await store.view((tx) => tx.listInodes(40, 10))).toEqual([]);
      const inTx = await store.update(async (tx) => {
        await tx.deleteInode(20);
        await tx.putInode(sampleInode(25));
        await tx.putInode(sampleInode(30, { size: 3 }));
        return tx.listInodes(ROOT_ID, 3);
      });
      expect(inTx.map((i) => [i.id, i.size])).toEqual([
        [10, 10],
        [25, 0],
        [30, 3],
      ]);
      const after = (await store.view((tx) => tx.listInodes(0, 100))).map((i) => i.id);
      expect(after).toEqual([ROOT_ID, 10, 25, 30, 40]);
    });

    it('serializes concurrent updates (no lost read-modify-write)', async () => {
      await store.update((tx) => tx.putInode(sampleInode(100, { size: 0 })));
      await Promise.all(
        Array.from({ length: 50 }, () =>
          store.update(async (tx) => {
            const i = (await tx.getInode(100))!;
            await new Promise((r) => setImmediate(r));
            await tx.putInode({ ...i, size: i.size + 1 });
          }),
        ),
      );
      expect((await store.view((tx) => tx.getInode(100)))!.size).toBe(50);
    });

    it('allocates unique, increasing ids, never the root, even across rollbacks', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) ids.push(await store.update((tx) => tx.allocateId()));
      await store
        .update(async (tx) => {
          ids.push(await tx.allocateId());
          throw new Error('rollback');
        })
        .catch(() => undefined);
      ids.push(...(await Promise.all(Array.from({ length: 20 }, () => store.update((tx) => tx.allocateId())))));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).not.toContain(ROOT_ID);
      for (const id of ids) expect(id).toBeGreaterThan(0);
    });
  });
}
