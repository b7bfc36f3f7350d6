import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT_ID } from '../../../core/types.js';
import { sampleInode } from '../conformance.js';
import { SCHEMA_VERSION } from './layout.js';
import { LmdbMetadataStore } from './lmdb-store.js';

const rootInode = sampleInode(ROOT_ID, { type: 'dir', mode: 0o755, nlink: 2, nextCookie: 3, parent: ROOT_ID });

describe('LmdbMetadataStore schema 2 (inode records with shared structures)', () => {
  let tmp: string;
  let path: string;

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dfs-lmdb-schema-'));
    path = join(tmp, 'meta');
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a schema 1 store with a message saying so', async () => {
    const env = openLmdb({ path, maxDbs: 8 });
    await env.openDB('meta', {}).put('schema', 1);
    await env.close();
    const s = new LmdbMetadataStore({ path });
    await expect(s.open({ rootInode })).rejects.toThrow(/schema 1, older than 2.*recreate/);
  });

  it('stores inodes as compact records that read back whole, in id order, across reopen', async () => {
    expect(SCHEMA_VERSION).toBe(2);
    let s = new LmdbMetadataStore({ path, noSync: true });
    await s.open({ rootInode });
    const ids = await s.update(async (tx) => {
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const id = await tx.allocateId();
        // Mixed shapes: optional fields present on some records only.
        await tx.putInode(
          sampleInode(id, i % 2 === 0 ? { contentId: `c${i}`, size: i } : { symlink: 'x', type: 'lnk' }),
        );
        out.push(id);
      }
      return out;
    });
    await s.close();
    s = new LmdbMetadataStore({ path, noSync: true });
    await s.open({ rootInode });
    try {
      const listed = await s.view((tx) => tx.listInodes(0, 100));
      expect(listed.map((i) => i.id)).toEqual([ROOT_ID, ...ids]);
      expect(listed[1]).toEqual(sampleInode(ids[0], { contentId: 'c0', size: 0 }));
      expect(listed[2]).toEqual(sampleInode(ids[1], { symlink: 'x', type: 'lnk' }));
    } finally {
      await s.close();
    }
    // The field names are not in each record.
    const env = openLmdb({ path, maxDbs: 8 });
    const raw = env.openDB('inodes', {}).getBinary(ids[0]);
    await env.close();
    expect(raw).toBeDefined();
    expect(raw!.includes(Buffer.from('generation'))).toBe(false);
  });
});
