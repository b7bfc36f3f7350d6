import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT_ID, type FileId } from '../../../core/types.js';
import { sampleInode } from '../conformance.js';
import { openDbs } from './layout.js';
import { LmdbMetadataStore } from './lmdb-store.js';

const rootInode = sampleInode(ROOT_ID, { type: 'dir', mode: 0o755, nlink: 2, nextCookie: 3, parent: ROOT_ID });

/** The store remembers which inodes have xattrs, so deleting the others opens no xattr cursor. */
describe('LmdbMetadataStore xattrs of deleted inodes', () => {
  let tmp: string;
  let path: string;
  const open: LmdbMetadataStore[] = [];

  async function reopen(): Promise<LmdbMetadataStore> {
    const s = new LmdbMetadataStore({ path });
    await s.open({ rootInode });
    open.push(s);
    return s;
  }

  async function makeFile(s: LmdbMetadataStore, xattr: boolean): Promise<FileId> {
    return s.update(async (tx) => {
      const id = await tx.allocateId();
      await tx.putInode(sampleInode(id, { contentId: `c${id}` }));
      if (xattr) await tx.setXattr(id, 'user.k', Buffer.from('v'));
      return id;
    });
  }

  /** Xattr keys left in the database, read directly (deleted inodes are invisible through the API). */
  async function storedXattrIds(): Promise<FileId[]> {
    for (const s of open.splice(0)) await s.close();
    const dbs = openDbs(path, false);
    try {
      return [...dbs.xattrs.getKeys()].map(([id]) => id);
    } finally {
      await dbs.env.close();
    }
  }

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dfs-lmdb-xattr-owners-'));
    path = join(tmp, 'meta');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const s of open.splice(0)) await s.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('drops the xattrs of an inode deleted in the session that set them, and of one set before a restart', async () => {
    let s = await reopen();
    const before = await makeFile(s, true);
    const plain = await makeFile(s, false);
    await s.close();
    s = await reopen();
    const now = await makeFile(s, true);
    const kept = await makeFile(s, true);
    await s.update((tx) => tx.deleteInode(before));
    await s.update((tx) => tx.deleteInode(now));
    await s.update((tx) => tx.deleteInode(plain));
    expect(await s.view((tx) => tx.listXattrs(kept))).toEqual(['user.k']);
    expect(await storedXattrIds()).toEqual([kept]);
  });

  it('deleting an inode without xattrs reads no xattr range', async () => {
    const s = await reopen();
    const plain = await makeFile(s, false);
    const withXattr = await makeFile(s, true);
    const dbs = (s as unknown as { dbs: ReturnType<typeof openDbs> }).dbs;
    const getKeys = vi.spyOn(dbs.xattrs, 'getKeys');
    await s.update((tx) => tx.deleteInode(plain));
    expect(getKeys).not.toHaveBeenCalled();
    await s.update((tx) => tx.deleteInode(withXattr));
    expect(getKeys).toHaveBeenCalledTimes(1);
  });

  it('xattrs given to a reused id while its deletion is still committing are dropped by the next deletion', async () => {
    const s = await reopen();
    const id = await makeFile(s, true);
    // Both queued before either commits: one group commit applies them in order.
    const deleting = s.update((tx) => tx.deleteInode(id));
    const reusing = s.update(async (tx) => {
      await tx.putInode(sampleInode(id, { contentId: 'again' }));
      await tx.setXattr(id, 'user.n', Buffer.from('w'));
    });
    await Promise.all([deleting, reusing]);
    await s.update((tx) => tx.deleteInode(id));
    expect(await storedXattrIds()).toEqual([]);
  });

  it('an id whose xattrs were set again in the transaction that deleted it keeps being tracked', async () => {
    const s = await reopen();
    const id = await makeFile(s, true);
    await s.update(async (tx) => {
      await tx.deleteInode(id);
      await tx.putInode(sampleInode(id, { contentId: 'again' }));
      await tx.setXattr(id, 'user.n', Buffer.from('w'));
    });
    await s.update((tx) => tx.deleteInode(id));
    expect(await storedXattrIds()).toEqual([]);
  });
});
