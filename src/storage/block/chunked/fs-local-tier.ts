import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { LocalChunkTier } from './tiers.js';
import { chunkRelPath } from './tiers.js';

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Local tier on a directory: `chunks/<ab>/<hash>`, one file per chunk.
 * A chunk is written to `tmp/` and renamed into place, so a crash never
 * leaves a partial file under a chunk's name; with `durable`, the file is
 * fsynced before the rename and its directory after, so the name survives
 * power loss too. Leftovers in `tmp/` are removed at open.
 */
export class FsLocalTier implements LocalChunkTier {
  readonly kind = 'fs';
  private readonly chunksDir: string;
  private readonly tmpDir: string;
  private readonly madeDirs = new Set<string>();

  constructor(readonly root: string) {
    this.chunksDir = join(root, 'chunks');
    this.tmpDir = join(root, 'tmp');
  }

  async open(): Promise<void> {
    await fsp.rm(this.tmpDir, { recursive: true, force: true });
    await fsp.mkdir(this.tmpDir, { recursive: true });
    await fsp.mkdir(this.chunksDir, { recursive: true });
  }

  private path(hash: string): string {
    return join(this.chunksDir, chunkRelPath(hash));
  }

  async put(hash: string, data: Buffer, durable: boolean): Promise<void> {
    const final = this.path(hash);
    const dir = dirname(final);
    let newDir = false;
    if (!this.madeDirs.has(dir)) {
      newDir = (await fsp.mkdir(dir, { recursive: true })) !== undefined;
      this.madeDirs.add(dir);
    }
    const tmp = join(this.tmpDir, `${hash}.${randomBytes(6).toString('hex')}`);
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      if (durable) await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, final);
    if (durable) {
      await fsyncPath(dir);
      if (newDir) await fsyncPath(this.chunksDir);
    }
  }

  async get(hash: string): Promise<Buffer | undefined> {
    try {
      return await fsp.readFile(this.path(hash));
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  async delete(hash: string): Promise<void> {
    await fsp.rm(this.path(hash), { force: true });
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const shard of await fsp.readdir(this.chunksDir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await fsp.readdir(join(this.chunksDir, shard))) {
        if (/^[0-9a-f]{64}$/.test(name)) out.push(name);
      }
    }
    return out;
  }

  async close(): Promise<void> {}
}
