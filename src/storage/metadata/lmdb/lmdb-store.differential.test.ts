import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isFsError } from '../../../core/errors.js';
import { ROOT_ID } from '../../../core/types.js';
import { sampleInode } from '../conformance.js';
import { MemoryMetadataStore } from '../memory/memory-store.js';
import type { MetadataStore, MetadataWriteTx } from '../store.js';
import { LmdbMetadataStore } from './lmdb-store.js';

/** A small deterministic PRNG (mulberry32) so that both stores get the same script. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Op = (tx: MetadataWriteTx) => Promise<unknown>;
interface Step {
  ops: Op[];
  /** What the ops do, for reading a failure. */
  desc: string[];
  rollback: boolean;
}

/** Random updates over a few inodes, three directories, xattrs and state; reads record what they see. */
function script(seed: number, updates: number): Step[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const dirs = [ROOT_ID, 100, 101];
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  let cookie = 3;
  const steps: Step[] = [];
  for (let u = 0; u < updates; u++) {
    const ops: Op[] = [];
    const desc: string[] = [];
    for (let k = 1 + int(6); k > 0; k--) {
      // Directory inodes 100 and 101 are never written: the memory store drops a deleted
      // directory's entries, which the contract leaves to core/vfs (it deletes only empty ones).
      const id = 102 + int(8);
      const dir = dirs[int(dirs.length)];
      const name = names[int(names.length)];
      const xname = `user.${int(3)}`;
      const r = int(16);
      const c = cookie++;
      const size = int(5000);
      const after = int(cookie);
      const limit = 1 + int(4);
      const guard = (p: Promise<unknown>) => p.catch((e: unknown) => (isFsError(e) ? e.code : Promise.reject(e)));
      ops.push(
        [
          (tx: MetadataWriteTx) => tx.putInode(sampleInode(id, { size, type: id % 2 ? 'reg' : 'dir' })),
          (tx: MetadataWriteTx) => tx.deleteInode(id),
          (tx: MetadataWriteTx) => tx.getInode(id),
          (tx: MetadataWriteTx) => guard(tx.addEntry(dir, name, id, c)),
          (tx: MetadataWriteTx) => guard(tx.addEntry(dir, name, id, c)),
          (tx: MetadataWriteTx) => guard(tx.removeEntry(dir, name)),
          (tx: MetadataWriteTx) => tx.lookup(dir, name),
          (tx: MetadataWriteTx) => tx.readdir(dir, after, limit),
          (tx: MetadataWriteTx) => tx.hasEntries(dir),
          (tx: MetadataWriteTx) => tx.setXattr(id, xname, Buffer.from(`v${c}`)),
          (tx: MetadataWriteTx) => tx.removeXattr(id, xname),
          (tx: MetadataWriteTx) => tx.getXattr(id, xname),
          async (tx: MetadataWriteTx) => (await tx.listXattrs(id)).sort(),
          (tx: MetadataWriteTx) => (r % 2 ? tx.putState(name, Buffer.from([c & 255])) : tx.deleteState(name)),
          (tx: MetadataWriteTx) => tx.getState(name),
          (tx: MetadataWriteTx) => tx.usage(),
        ][r],
      );
      desc.push(`${r} id=${id} dir=${dir} name=${name} x=${xname} c=${c} after=${after} limit=${limit}`);
    }
    steps.push({ ops, desc, rollback: int(8) === 0 });
  }
  return steps;
}

/** Fire the updates in bursts without waiting in between, so later ones run on queued, uncommitted ones. */
async function play(store: MetadataStore, steps: Step[]): Promise<unknown[]> {
  const results: unknown[] = [];
  for (let b = 0; b < steps.length; b += 25) {
    const burst = steps.slice(b, b + 25).map((s) =>
      store
        .update(async (tx) => {
          const seen: unknown[] = [];
          for (const op of s.ops) seen.push(await op(tx));
          if (s.rollback) throw new Error('rollback');
          return seen;
        })
        .catch((e: unknown) => (e instanceof Error && e.message === 'rollback' ? 'rolled back' : Promise.reject(e))),
    );
    results.push(...(await Promise.all(burst)));
  }
  results.push(
    await store.view(async (tx) => ({
      dirs: await Promise.all([ROOT_ID, 100, 101].map((d) => tx.readdir(d, 0, 1000))),
      inodes: await Promise.all([102, 103, 104, 105, 106, 107, 108, 109].map((i) => tx.getInode(i))),
      xattrs: await Promise.all([102, 103, 104, 105].map(async (i) => (await tx.listXattrs(i)).sort())),
      usage: await tx.usage(),
    })),
  );
  return results;
}

const tmp: string[] = [];
afterAll(async () => {
  await Promise.all(tmp.map((d) => rm(d, { recursive: true, force: true })));
});

it('sees exactly what the memory store sees under bursts of concurrent updates with rollbacks', async () => {
  const root = sampleInode(ROOT_ID, { type: 'dir', nextCookie: 3, parent: ROOT_ID });
  for (const seed of [1, 2, 3]) {
    const steps = script(seed, 200);
    const memory = new MemoryMetadataStore();
    await memory.open({ rootInode: root });
    const dir = await mkdtemp(join(tmpdir(), 'dfs-lmdb-diff-'));
    tmp.push(dir);
    const lmdb = new LmdbMetadataStore({ path: join(dir, 'meta'), noSync: true });
    await lmdb.open({ rootInode: root });
    const expected = await play(memory, steps);
    const actual = await play(lmdb, steps);
    await Promise.all([memory.close(), lmdb.close()]);
    expect(actual).toEqual(expected);
  }
});
