import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlockStore } from './fs-block-store.js';
import { shardOf } from './content-path.js';
import { BLOCK_OWNER_FILE } from '../owner-lock.js';

const hostile = [
  '',
  '.',
  '..',
  '../escape',
  '../../etc/passwd',
  '/etc/passwd',
  'a/b',
  'a\\b',
  'a\0b',
  'ok\n',
  'x'.repeat(129),
  'ünïcode',
  ' spaced',
  'dot.name',
  '%2e%2e',
];

/** Every path under `dir` except the store's own owner file (see ../owner-lock.ts). */
async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.name !== BLOCK_OWNER_FILE) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

describe('FsBlockStore keeps every content file under its root', () => {
  let base: string;
  let store: FsBlockStore;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'dfs-confine-'));
    store = new FsBlockStore({ root: join(base, 'root') });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    await rm(base, { recursive: true, force: true });
  });

  it.each(hostile.map((id) => [JSON.stringify(id), id]))(
    'rejects id %s with INVAL for every operation',
    async (_label, id) => {
      await expect(store.write(id, 0, Buffer.from('x'))).rejects.toMatchObject({ code: 'INVAL' });
      await expect(store.read(id, 0, 1)).rejects.toMatchObject({ code: 'INVAL' });
      await expect(store.truncate(id, 10)).rejects.toMatchObject({ code: 'INVAL' });
      await expect(store.delete(id)).rejects.toMatchObject({ code: 'INVAL' });
      await expect(store.commit(id)).rejects.toMatchObject({ code: 'INVAL' });
      expect(await listTree(base)).toEqual([join(base, 'root')]);
    },
  );

  it('stores a valid id as root/<shard>/<id> and nowhere else', async () => {
    await store.write('1-42-0abc_Z', 0, Buffer.from('x'));
    expect(await listTree(base)).toEqual([
      join(base, 'root'),
      join(base, 'root', shardOf('1-42-0abc_Z')),
      join(base, 'root', shardOf('1-42-0abc_Z'), '1-42-0abc_Z'),
    ]);
  });

  it('finds existing content and its size again after reopening', async () => {
    await store.write('persist', 0, Buffer.from('hello'));
    await store.commit('persist');
    await store.close();
    store = new FsBlockStore({ root: join(base, 'root') });
    await store.open();
    expect((await store.read('persist', 0, 5)).toString()).toBe('hello');
    expect(await store.usedBytes()).toBe(5);
  });
});
