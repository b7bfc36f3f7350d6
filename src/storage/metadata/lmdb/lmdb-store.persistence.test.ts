import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFsError } from '../../../core/errors.js';
import { ROOT_ID, type Inode } from '../../../core/types.js';
import { sampleInode } from '../conformance.js';
import { LmdbMetadataStore } from './lmdb-store.js';
import { OWNER_FILE } from './owner-lock.js';

const rootInode = sampleInode(ROOT_ID, { type: 'dir', mode: 0o755, nlink: 2, nextCookie: 3, parent: ROOT_ID });

describe('LmdbMetadataStore on disk', () => {
  let tmp: string;
  let path: string;
  const open: LmdbMetadataStore[] = [];

  async function reopen(opts: { noSync?: boolean } = {}): Promise<LmdbMetadataStore> {
    const s = new LmdbMetadataStore({ path, ...opts });
    await s.open({ rootInode });
    open.push(s);
    return s;
  }

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dfs-lmdb-persist-'));
    path = join(tmp, 'meta');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('keeps inodes, entries, cookies, xattrs, state and usage across close and reopen', async () => {
    const a = await reopen();
    const file = sampleInode(0, { size: 1234, contentId: 'c', createVerf: 'v' });
    const id = await a.update(async (tx) => {
      const id = await tx.allocateId();
      await tx.putInode({ ...file, id });
      await tx.addEntry(ROOT_ID, 'kept', id, 7);
      await tx.addEntry(ROOT_ID, 'gone', id, 8);
      await tx.setXattr(id, 'user.k', Buffer.from('v'));
      await tx.putState('nfs3.cookieverf', Buffer.from([9, 9]));
      return id;
    });
    await a.update((tx) => tx.removeEntry(ROOT_ID, 'gone'));
    const usage = await a.view((tx) => tx.usage());
    await a.close();

    const b = await reopen();
    await b.view(async (tx) => {
      expect(await tx.getInode(id)).toEqual({ ...file, id });
      expect(await tx.getInode(ROOT_ID)).toEqual(rootInode);
      expect(await tx.lookup(ROOT_ID, 'kept')).toEqual({ name: 'kept', id, cookie: 7 });
      expect(await tx.lookup(ROOT_ID, 'gone')).toBeUndefined();
      expect(await tx.readdir(ROOT_ID, 0, 10)).toEqual([{ name: 'kept', id, cookie: 7 }]);
      expect(await tx.readdir(ROOT_ID, 7, 10)).toEqual([]);
      expect(await tx.getXattr(id, 'user.k')).toEqual(Buffer.from('v'));
      expect(await tx.getState('nfs3.cookieverf')).toEqual(Buffer.from([9, 9]));
      expect(await tx.usage()).toEqual(usage);
    });
    expect(usage).toEqual({ inodes: 2, bytes: 1234 });
  });

  it('never hands out an id again after a restart, including the ids of caller-chosen inodes', async () => {
    const a = await reopen();
    const first = await Promise.all(Array.from({ length: 10 }, () => a.update((tx) => tx.allocateId())));
    await a.update((tx) => tx.putInode(sampleInode(500)));
    await a.close();

    const b = await reopen();
    const next = await b.update((tx) => tx.allocateId());
    expect(next).toBeGreaterThan(500);
    expect(first).not.toContain(next);
    await b.close();

    const c = await reopen();
    expect(await c.update((tx) => tx.allocateId())).toBeGreaterThan(next);
  });

  it('does not replace an existing root when reopened with a different one', async () => {
    const a = await reopen();
    await a.update(async (tx) => tx.putInode({ ...rootInode, nextCookie: 99 }));
    await a.close();
    const b = new LmdbMetadataStore({ path });
    open.push(b);
    await b.open({ rootInode: { ...rootInode, mode: 0o700 } });
    expect(await b.view((tx) => tx.getInode(ROOT_ID))).toMatchObject({ mode: 0o755, nextCookie: 99 });
  });

  it('refuses a second writer of the same environment and takes over after a dead one', async () => {
    const a = await reopen();
    await expect(reopen()).rejects.toThrow(/already open/);
    await a.close();
    // A pid file left by a process that died (here: one that has exited) does not block.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(join(path, OWNER_FILE), `${dead}\n`);
    const b = await reopen();
    expect(await b.view((tx) => tx.getInode(ROOT_ID))).toEqual(rootInode);
    await b.close();
    // A live one does (the parent of this test process stands in for another server).
    await writeFile(join(path, OWNER_FILE), `${process.ppid}\n`);
    await expect(reopen()).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
  });

  it('refuses names too long for an LMDB key before anything is written', async () => {
    const s = await reopen();
    const long = 'n'.repeat(2000);
    await expect(
      s.update(async (tx) => {
        await tx.putInode(sampleInode(30));
        await tx.addEntry(ROOT_ID, long, 30, 3);
      }),
    ).rejects.toSatisfy((e) => isFsError(e, 'NAMETOOLONG'));
    await expect(s.update((tx) => tx.setXattr(30, long, Buffer.alloc(1)))).rejects.toSatisfy((e) =>
      isFsError(e, 'NAMETOOLONG'),
    );
    expect(await s.view((tx) => tx.getInode(30))).toBeUndefined();
  });

  it('commits nothing of an update whose commit fails, even when grouped with others, and keeps working', async () => {
    const s = await reopen();
    // A value the encoder rejects only at commit time (a bigint beyond 64 bits, which no caller should store).
    const bad = { ...sampleInode(41), change: 2n ** 70n } as unknown as Inode;
    const results = await Promise.allSettled([
      s.update((tx) => tx.addEntry(ROOT_ID, 'before', 40, 3)),
      s.update(async (tx) => {
        await tx.addEntry(ROOT_ID, 'doomed', 41, 4);
        await tx.putInode(bad);
      }),
      // Queued behind the doomed update, this one reads its entry: it must not commit what it built on it.
      s.update(async (tx) => {
        if ((await tx.lookup(ROOT_ID, 'doomed')) !== undefined) await tx.addEntry(ROOT_ID, 'built-on-doomed', 43, 6);
      }),
    ]);
    expect(results.map((r) => r.status).slice(0, 2)).toEqual(['fulfilled', 'rejected']);
    await s.update((tx) => tx.addEntry(ROOT_ID, 'after', 42, 5));
    expect((await s.view((tx) => tx.readdir(ROOT_ID, 0, 10))).map((e) => e.name)).toEqual(['before', 'after']);
    expect(await s.view((tx) => tx.getInode(41))).toBeUndefined();
  });

  it('gives a view one snapshot across awaits while updates commit', async () => {
    const s = await reopen();
    await s.update((tx) => tx.addEntry(ROOT_ID, 'a', 10, 3));
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    const seen = s.view(async (tx) => {
      const before = await tx.lookup(ROOT_ID, 'a');
      await gate;
      return { before, after: await tx.lookup(ROOT_ID, 'a'), list: await tx.readdir(ROOT_ID, 0, 10) };
    });
    await s.update((tx) => tx.removeEntry(ROOT_ID, 'a'));
    go();
    const r = await seen;
    expect(r.before).toEqual({ name: 'a', id: 10, cookie: 3 });
    expect(r.after).toEqual(r.before);
    expect(r.list).toEqual([r.before]);
    expect(await s.view((tx) => tx.lookup(ROOT_ID, 'a'))).toBeUndefined();
  });

  it('pages a directory of 100,000 entries by cookie after a restart', async () => {
    const a = await reopen({ noSync: true });
    const N = 100_000;
    for (let base = 0; base < N; base += 10_000) {
      await a.update(async (tx) => {
        for (let i = base; i < base + 10_000; i++) await tx.addEntry(ROOT_ID, `n${i}`, 10 + i, 3 + i);
      });
    }
    await a.close();
    const b = await reopen();
    // A page deep in the directory comes straight from the cookie index.
    expect(await b.view((tx) => tx.readdir(ROOT_ID, 3 + 90_000, 3))).toEqual([
      { name: 'n90001', id: 90_011, cookie: 90_004 },
      { name: 'n90002', id: 90_012, cookie: 90_005 },
      { name: 'n90003', id: 90_013, cookie: 90_006 },
    ]);
    let cookie = 0;
    let count = 0;
    const started = performance.now();
    for (;;) {
      const page = await b.view((tx) => tx.readdir(ROOT_ID, cookie, 1024));
      if (page.length === 0) break;
      expect(page[0].cookie).toBe(cookie === 0 ? 3 : cookie + 1);
      count += page.length;
      cookie = page[page.length - 1].cookie;
    }
    expect(count).toBe(N);
    expect(cookie).toBe(3 + N - 1);
    // Generous bound (2 slow cores): a store that rescanned the directory per page would take minutes.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
