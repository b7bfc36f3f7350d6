import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkedBlockStore } from './chunked/chunked-block-store.js';
import { FsLocalTier } from './chunked/fs-local-tier.js';
import { FsBlockStore } from './fs/fs-block-store.js';
import { acquireBlockOwner, BLOCK_OWNER_FILE, BlockStoreInUseError } from './owner-lock.js';

/** A live process that is not this one: a sleeping child. */
async function otherProcess(): Promise<{ pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

/** A pid that no process has: a child that already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('block store owner file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-owner-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds our pid while open and disappears on release', async () => {
    const release = await acquireBlockOwner(dir);
    const content = await readFile(join(dir, BLOCK_OWNER_FILE), 'utf8');
    expect(Number(content.split(' ')[0])).toBe(process.pid);
    await release();
    await expect(stat(join(dir, BLOCK_OWNER_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a second open of the same directory in this process', async () => {
    const release = await acquireBlockOwner(dir);
    await expect(acquireBlockOwner(dir)).rejects.toThrow(/already open in this process/);
    await release();
    await (
      await acquireBlockOwner(dir)
    )();
  });

  it('fails fast naming the live process that holds the directory', async () => {
    const other = await otherProcess();
    try {
      await writeFile(join(dir, BLOCK_OWNER_FILE), `${other.pid} 0\n`);
      const err = await acquireBlockOwner(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockStoreInUseError);
      expect((err as Error).message).toContain(`in use by process ${other.pid}`);
      // The other owner's file is left alone.
      expect(await readFile(join(dir, BLOCK_OWNER_FILE), 'utf8')).toBe(`${other.pid} 0\n`);
    } finally {
      other.stop();
    }
  });

  it('takes over the file of a killed process', async () => {
    await writeFile(join(dir, BLOCK_OWNER_FILE), `${await deadPid()} 12345\n`);
    const release = await acquireBlockOwner(dir);
    expect(Number((await readFile(join(dir, BLOCK_OWNER_FILE), 'utf8')).split(' ')[0])).toBe(process.pid);
    await release();
  });

  it('takes over a file whose pid now belongs to a process started at another time', async () => {
    const other = await otherProcess();
    try {
      await writeFile(join(dir, BLOCK_OWNER_FILE), `${other.pid} 1\n`);
      const release = await acquireBlockOwner(dir);
      expect(Number((await readFile(join(dir, BLOCK_OWNER_FILE), 'utf8')).split(' ')[0])).toBe(process.pid);
      await release();
    } finally {
      other.stop();
    }
  });

  it('makes a second fs store on one directory fail at open, unless shared', async () => {
    const a = new FsBlockStore({ root: dir });
    await a.open();
    await expect(new FsBlockStore({ root: dir }).open()).rejects.toThrow(/already open/);
    const shared = new FsBlockStore({ root: dir, shared: true });
    await shared.open();
    await shared.close();
    await a.close();
    const b = new FsBlockStore({ root: dir });
    await b.open();
    await b.close();
  });

  const chunked = (): ChunkedBlockStore =>
    new ChunkedBlockStore({ dir, local: new FsLocalTier(join(dir, 'local')), gcIntervalMs: 0, flushIntervalMs: 0 });

  it('makes a second chunked store on one directory fail at open, and a failed open closes cleanly', async () => {
    const a = chunked();
    await a.open();
    const b = chunked();
    await expect(b.open()).rejects.toThrow(/already open/);
    await b.close();
    await a.write('x', 0, Buffer.from('still mine'));
    await a.close();
    const c = chunked();
    await c.open();
    expect((await c.read('x', 0, 10)).toString()).toBe('still mine');
    await c.close();
  });
});
