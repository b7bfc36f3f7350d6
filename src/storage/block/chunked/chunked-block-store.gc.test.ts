import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBytes, pattern } from '../conformance.js';
import { makeStore } from './test-helpers.js';

const CS = 16_384;

describe('garbage collection of chunks', () => {
  it('leaves only referenced chunks in the remote after deletes and overwrites', async () => {
    const { store, remote, cleanup } = await makeStore();
    try {
      await store.write('a', 0, pattern(5 * CS, 1));
      await store.write('b', 0, pattern(3 * CS, 2));
      await store.commit('a');
      await store.commit('b');
      await store.drainUploads();
      expect(remote.objects.size).toBe(8);
      await store.delete('a');
      // Overwrite half of b's second chunk: its old chunk becomes garbage.
      await store.write('b', CS + 100, Buffer.alloc(200, 9));
      await store.commit('b');
      await store.drainUploads();
      const r = await store.gc();
      expect(r.collected).toBe(6);
      expect(r.remoteDeleted).toBe(6);
      expect(new Set(remote.objects.keys())).toEqual(store.referencedChunks());
      expect(remote.objects.size).toBe(3);
      const want = pattern(3 * CS, 2);
      want.fill(9, CS + 100, CS + 300);
      expectBytes(await store.read('b', 0, 3 * CS), want);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('never collects a chunk still shared by another file (dedup and clone)', async () => {
    const { store, remote, dir, reopen, cleanup } = await makeStore();
    let s = store;
    try {
      const shared = pattern(4 * CS, 3);
      await s.write('x', 0, shared);
      await s.write('y', 0, shared);
      await s.commit('x');
      await s.commit('y');
      await s.clone!('x', 'z');
      // Overwrite x completely: its old chunks stay referenced by y and z.
      await s.write('x', 0, pattern(4 * CS, 4));
      await s.commit('x');
      await s.delete('y');
      await s.drainUploads();
      await s.gc();
      expect(new Set(remote.objects.keys())).toEqual(s.referencedChunks());
      // Read z cold, from the remote only: nothing it needs was collected.
      await s.close();
      await rm(join(dir, 'local'), { recursive: true, force: true });
      s = await reopen();
      expectBytes(await s.read('z', 0, 4 * CS), shared);
      expectBytes(await s.read('x', 0, 4 * CS), pattern(4 * CS, 4));
    } finally {
      await s.close();
      await cleanup();
    }
  });

  it('keeps the remote equal to the referenced set through a random workload', async () => {
    const { store, remote, cleanup } = await makeStore();
    const model = new Map<string, Buffer>();
    let seed = 100;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    try {
      for (let step = 0; step < 120; step++) {
        const id = `f${rnd(5)}`;
        const op = rnd(10);
        const cur = model.get(id) ?? Buffer.alloc(0);
        if (op < 6) {
          const off = rnd(6 * CS);
          // Small alphabet of contents: plenty of identical chunks across files.
          const data = rnd(2) === 0 ? Buffer.alloc(1 + rnd(2 * CS), rnd(3)) : pattern(1 + rnd(2 * CS), 1 + rnd(4));
          await store.write(id, off, data);
          const next = Buffer.alloc(Math.max(cur.length, off + data.length));
          cur.copy(next);
          data.copy(next, off);
          model.set(id, next);
        } else if (op < 8) {
          const size = rnd(cur.length + 1);
          await store.truncate(id, size);
          model.set(id, cur.subarray(0, size));
        } else if (op < 9) {
          await store.delete(id);
          model.delete(id);
        } else {
          await store.commit(id);
          await store.gc();
        }
      }
      await store.flushAll();
      await store.drainUploads();
      await store.gc();
      expect(new Set(remote.objects.keys())).toEqual(store.referencedChunks());
      for (const [id, want] of model) expectBytes(await store.read(id, 0, want.length), want);
      for (const id of ['f0', 'f1', 'f2', 'f3', 'f4']) {
        if (!model.has(id)) expectBytes(await store.read(id, 0, 100), Buffer.alloc(100));
      }
    } finally {
      await store.close();
      await cleanup();
    }
  });
});

describe('deduplication', () => {
  it('stores the same content once, however often it is written', async () => {
    const { store, remote, cleanup } = await makeStore();
    try {
      const data = pattern(4 * CS, 5);
      for (const id of ['d1', 'd2', 'd3']) {
        await store.write(id, 0, data);
        await store.commit(id);
      }
      // Two chunks of zeros and one repeated chunk inside one file.
      await store.write('d4', 0, Buffer.concat([data.subarray(0, CS), Buffer.alloc(2 * CS), data.subarray(0, CS)]));
      await store.commit('d4');
      await store.drainUploads();
      expect(remote.puts).toBe(4);
      expect(remote.objects.size).toBe(4);
      expect(await store.usedBytes()).toBe(4 * CS);
      expectBytes(
        await store.read('d4', 0, 4 * CS),
        Buffer.concat([data.subarray(0, CS), Buffer.alloc(2 * CS), data.subarray(0, CS)]),
      );
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('holes take no space: a sparse file stores only its written chunks', async () => {
    const { store, cleanup } = await makeStore();
    try {
      await store.write('sparse', 100 * CS, Buffer.from('tail'));
      await store.commit('sparse');
      expect(await store.usedBytes()).toBe(4);
      expect(store.stats().localBytes).toBe(4);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});

describe('punching holes', () => {
  it('zeros the range, frees whole chunks and keeps the bytes around it', async () => {
    const { store, cleanup } = await makeStore();
    try {
      const data = pattern(6 * CS, 8);
      await store.write('p', 0, data);
      await store.commit('p');
      expect(await store.usedBytes()).toBe(6 * CS);
      // From the middle of chunk 1 to the middle of chunk 4: chunks 2 and 3 go away.
      await store.punchHole!('p', CS + 1000, 3 * CS);
      await store.commit('p');
      const want = Buffer.from(data);
      want.fill(0, CS + 1000, 4 * CS + 1000);
      expectBytes(await store.read('p', 0, 6 * CS), want);
      expect(await store.usedBytes()).toBe(4 * CS);
      // Punching into never-written space stores nothing.
      await store.punchHole!('p', 100 * CS, 5);
      await store.commit('p');
      expect(await store.usedBytes()).toBe(4 * CS);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
