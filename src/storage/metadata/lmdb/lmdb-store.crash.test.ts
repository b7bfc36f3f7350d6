import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { ROOT_ID, type FileId } from '../../../core/types.js';
import { sampleInode } from '../conformance.js';
import { LmdbMetadataStore } from './lmdb-store.js';

const child = fileURLToPath(new URL('./update-storm.child.ts', import.meta.url));
const dirs = [ROOT_ID, 2, 3, 4];
let tmp = '';
afterAll(async () => {
  if (tmp !== '') await rm(tmp, { recursive: true, force: true });
});

/** Run the storm child until it has done at least `minOps` updates plus a random moment more, then SIGKILL it. */
async function stormAndKill(path: string, minOps: number): Promise<number> {
  const p = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  let ops = 0;
  const killed = new Promise<void>((resolve, reject) => {
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`storm child exited early (${code}): ${stderr}`));
    });
  });
  p.stdout.on('data', (b: Buffer) => {
    const m = /ops (\d+)\n$/.exec(b.toString());
    if (m === null || ops >= minOps) return;
    ops = Number(m[1]);
    if (ops >= minOps) setTimeout(() => p.kill('SIGKILL'), Math.random() * 30);
  });
  await killed;
  return ops;
}

/** Every entry names a live inode, every file's nlink equals its entries, no inode is unreferenced, counters agree. */
async function checkConsistent(path: string): Promise<{ files: number }> {
  const store = new LmdbMetadataStore({ path });
  await store.open({ rootInode: sampleInode(ROOT_ID, { type: 'dir', nextCookie: 3, parent: ROOT_ID }) });
  try {
    return await store.view(async (tx) => {
      const links = new Map<FileId, number>();
      for (const dir of dirs) {
        let cookie = 0;
        for (;;) {
          const page = await tx.readdir(dir, cookie, 500);
          if (page.length === 0) break;
          for (const e of page) {
            expect(await tx.getInode(e.id), `entry ${dir}/${e.name} points nowhere`).toBeDefined();
            expect(e.cookie).toBeLessThan((await tx.getInode(dir))!.nextCookie!);
            links.set(e.id, (links.get(e.id) ?? 0) + 1);
            cookie = e.cookie;
          }
        }
      }
      let live = 0;
      let files = 0;
      const { inodes } = await tx.usage();
      // Ids are allocated densely, so scanning past the highest existing id finds every inode.
      for (let id = 1, misses = 0; misses < 2000; id++) {
        const i = await tx.getInode(id);
        if (i === undefined) {
          misses++;
          continue;
        }
        misses = 0;
        live++;
        if (i.type !== 'reg') continue;
        files++;
        expect(links.get(id), `inode ${id} is referenced by no entry`).toBeDefined();
        expect(i.nlink, `inode ${id} nlink`).toBe(links.get(id));
      }
      expect(inodes).toBe(live);
      return { files };
    });
  } finally {
    await store.close();
  }
}

it('stays consistent when killed with SIGKILL in the middle of a storm of updates', async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dfs-lmdb-crash-'));
  const path = join(tmp, 'meta');
  let total = 0;
  for (let cycle = 0; cycle < 3; cycle++) {
    total += await stormAndKill(path, 100 + Math.floor(Math.random() * 400));
    const { files } = await checkConsistent(path);
    expect(files).toBeGreaterThan(0);
  }
  expect(total).toBeGreaterThanOrEqual(300);
}, 60_000);
