import { mkdtemp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireBlockOwner } from '../storage/block/owner-lock.js';
import { emptyBlockDirectory } from './stores.js';

describe('emptyBlockDirectory (fs blocks under memory metadata start empty)', () => {
  it('empties a directory nobody serves and tolerates one that does not exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-empty-'));
    await mkdir(join(dir, 'ab'), { recursive: true });
    await writeFile(join(dir, 'ab', 'content'), 'x');
    await writeFile(join(dir, 'top'), 'y');
    await emptyBlockDirectory(dir);
    expect(await readdir(dir)).toEqual([]);
    await expect(emptyBlockDirectory(join(dir, 'missing'))).resolves.toBeUndefined();
  });

  it('refuses, and leaves every file in place, while another owner holds the directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-empty-'));
    await writeFile(join(dir, 'live-content'), 'z');
    const release = await acquireBlockOwner(dir);
    try {
      await expect(emptyBlockDirectory(dir)).rejects.toThrow(/already open|in use/);
      expect(await readdir(dir)).toContain('live-content');
    } finally {
      await release();
    }
    await emptyBlockDirectory(dir);
    expect(await readdir(dir)).toEqual([]);
  });
});
