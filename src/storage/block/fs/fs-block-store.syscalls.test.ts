import { promises as fsp } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { shardOf } from './content-path.js';
import { FsBlockStore } from './fs-block-store.js';

/** The fs store avoids syscalls it knows are useless; these check it still does the right thing. */
describe('FsBlockStore syscall economy', () => {
  let root: string;
  let store: FsBlockStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfs-fsblocks-'));
    store = new FsBlockStore({ root });
    await store.open();
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('deleting content that was never written makes no unlink call', async () => {
    const unlink = vi.spyOn(fsp, 'unlink');
    await store.delete('never-written');
    expect(unlink).not.toHaveBeenCalled();
    await store.write('written', 0, Buffer.from('x'));
    await store.delete('written');
    expect(unlink).toHaveBeenCalledTimes(1);
    expect(await store.read('written', 0, 1)).toEqual(Buffer.alloc(1));
  });

  it('content written before a restart is found and deleted after it', async () => {
    await store.write('old', 0, Buffer.from('abc'));
    await store.close();
    store = new FsBlockStore({ root });
    await store.open();
    expect((await store.read('old', 0, 3)).toString()).toBe('abc');
    await store.delete('old');
    await expect(fsp.readdir(join(root, shardOf('old')))).resolves.toEqual([]);
  });

  it('a shard directory removed behind its back is made again', async () => {
    await store.write('a1', 0, Buffer.from('x'));
    await store.delete('a1');
    await rm(join(root, shardOf('a1')), { recursive: true });
    await store.write('a1', 0, Buffer.from('y'));
    await store.commit('a1');
    expect((await store.read('a1', 0, 1)).toString()).toBe('y');
  });

  it('concurrent commits of new files in one shard share directory fsyncs', async () => {
    // Ids in one shard.
    const ids: string[] = [];
    for (let i = 0; ids.length < 8; i++) if (shardOf(`f${i}`) === shardOf('f0')) ids.push(`f${i}`);
    await Promise.all(ids.map((id) => store.write(id, 0, Buffer.from(id))));
    const open = vi.spyOn(fsp, 'open');
    await Promise.all(ids.map((id) => store.commit(id)));
    const dirOpens = open.mock.calls.filter(([p]) => p === join(root, shardOf('f0'))).length;
    expect(dirOpens).toBeGreaterThanOrEqual(1);
    expect(dirOpens).toBeLessThan(ids.length);
  });

  it('directory fsyncs of later commits reuse one open handle per directory', async () => {
    const ids: string[] = [];
    for (let i = 0; ids.length < 3; i++) if (shardOf(`g${i}`) === shardOf('g0')) ids.push(`g${i}`);
    const open = vi.spyOn(fsp, 'open');
    for (const id of ids) {
      await store.write(id, 0, Buffer.from(id));
      await store.commit(id);
    }
    const dirOpens = open.mock.calls.filter(([p]) => p === join(root, shardOf('g0'))).length;
    expect(dirOpens).toBe(1);
  });

  it('a shard directory replaced behind its back gets a fresh handle for its fsync', async () => {
    await store.write('h1', 0, Buffer.from('x'));
    await store.commit('h1');
    await store.delete('h1');
    await rm(join(root, shardOf('h1')), { recursive: true });
    const open = vi.spyOn(fsp, 'open');
    await store.write('h1', 0, Buffer.from('y'));
    await store.commit('h1');
    expect(open.mock.calls.filter(([p]) => p === join(root, shardOf('h1'))).length).toBe(1);
  });
});
