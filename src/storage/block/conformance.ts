import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockStore } from './store.js';

/** Deterministic, non-repeating-looking bytes so misplaced data is detected. */
export function pattern(length: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Byte equality without vitest's (slow for megabytes) deep diff: reports the first differing offset. */
export function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  let first = -1;
  if (!actual.equals(expected)) {
    first = 0;
    while (actual[first] === expected[first]) first++;
  }
  expect(first, 'first differing byte offset').toBe(-1);
}

function isZero(b: Buffer): boolean {
  return b.equals(Buffer.alloc(b.length));
}

/**
 * The block-store conformance suite (DESIGN.md "Block store"): every backend
 * runs it. `factory` returns a fresh, empty, not yet opened store.
 */
export function runBlockStoreConformance(name: string, factory: () => Promise<BlockStore>): void {
  describe(`BlockStore conformance: ${name}`, () => {
    let store: BlockStore;

    beforeEach(async () => {
      store = await factory();
      await store.open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('round-trips a write', async () => {
      const data = pattern(1000);
      await store.write('a', 0, data);
      expectBytes(await store.read('a', 0, 1000), data);
      expectBytes(await store.read('a', 10, 20), data.subarray(10, 30));
    });

    it('keeps content ids apart', async () => {
      await store.write('a', 0, Buffer.from('aaaa'));
      await store.write('b', 0, Buffer.from('bbbb'));
      expect((await store.read('a', 0, 4)).toString()).toBe('aaaa');
      expect((await store.read('b', 0, 4)).toString()).toBe('bbbb');
    });

    it('handles unaligned writes across 64 KiB and 1 MiB boundaries', async () => {
      const model = Buffer.alloc(3 * 1024 * 1024);
      const writes: [number, number][] = [
        [65_530, 20],
        [1_048_570, 100_000],
        [131_071, 2],
        [0, 1],
        [2_000_000, 1_000_000],
        [65_536 * 5 - 3, 65_536 + 7],
      ];
      let seed = 2;
      for (const [off, len] of writes) {
        const d = pattern(len, seed++);
        d.copy(model, off);
        await store.write('x', off, d);
      }
      expectBytes(await store.read('x', 0, model.length), model);
      expectBytes(await store.read('x', 65_529, 70_000), model.subarray(65_529, 65_529 + 70_000));
    });

    it('reads holes and never-written content as zeros', async () => {
      await store.write('h', 1_000_000, Buffer.from('end'));
      const r = await store.read('h', 0, 1_000_003);
      expect(r.length).toBe(1_000_003);
      expect(r.subarray(0, 1_000_000)).toSatisfy(isZero);
      expect(r.subarray(1_000_000).toString()).toBe('end');
      expectBytes(await store.read('never', 5, 10), Buffer.alloc(10));
    });

    it('reads beyond the end as zeros, always returning exactly the requested length', async () => {
      await store.write('e', 0, Buffer.from('hello'));
      const r = await store.read('e', 3, 10);
      expectBytes(r, Buffer.concat([Buffer.from('lo'), Buffer.alloc(8)]));
      expectBytes(await store.read('e', 100, 4), Buffer.alloc(4));
      expect((await store.read('e', 0, 0)).length).toBe(0);
    });

    it('truncates down: bytes past the new end read as zeros, also after growing again', async () => {
      const d = pattern(200_000, 9);
      await store.write('t', 0, d);
      await store.truncate('t', 70_000);
      expectBytes(await store.read('t', 0, 70_000), d.subarray(0, 70_000));
      expectBytes(await store.read('t', 70_000, 130_000), Buffer.alloc(130_000));
      await store.write('t', 199_999, Buffer.from([7]));
      const r = await store.read('t', 69_990, 130_010);
      expectBytes(r.subarray(0, 10), d.subarray(69_990, 70_000));
      expect(r.subarray(10, 130_009)).toSatisfy(isZero);
      expect(r[130_009]).toBe(7);
    });

    it('truncates to zero and up (growing reads zeros)', async () => {
      await store.write('u', 0, pattern(5000, 3));
      await store.truncate('u', 0);
      expectBytes(await store.read('u', 0, 5000), Buffer.alloc(5000));
      await store.truncate('u', 10_000_000);
      expectBytes(await store.read('u', 9_999_990, 10), Buffer.alloc(10));
      await store.truncate('fresh', 4096);
      expectBytes(await store.read('fresh', 0, 4096), Buffer.alloc(4096));
    });

    it('deletes content (and deleting an unknown id is fine)', async () => {
      await store.write('d', 0, pattern(100_000, 4));
      await store.delete('d');
      expectBytes(await store.read('d', 0, 100_000), Buffer.alloc(100_000));
      await store.delete('d');
      await store.delete('unknown');
      await store.write('d', 10, Buffer.from('again'));
      expectBytes(await store.read('d', 0, 15), Buffer.concat([Buffer.alloc(10), Buffer.from('again')]));
    });

    it('commits written and unknown content', async () => {
      await store.write('c', 0, Buffer.from('durable'));
      await store.commit('c');
      await store.commit('c');
      await store.commit('nothing-here');
      expect((await store.read('c', 0, 7)).toString()).toBe('durable');
    });

    it('accounts used bytes as content grows and is deleted', async () => {
      const before = await store.usedBytes();
      await store.write('s', 0, pattern(300_000, 5));
      const mid = await store.usedBytes();
      expect(mid).toBeGreaterThanOrEqual(before + 300_000);
      await store.delete('s');
      expect(await store.usedBytes()).toBe(before);
    });

    it('round-trips 8 MiB of content written in uneven pieces, including concurrently', async () => {
      const size = 8 * 1024 * 1024;
      const data = pattern(size, 11);
      const pieces: Promise<void>[] = [];
      for (let off = 0, i = 0; off < size; i++) {
        const len = Math.min(size - off, 100_000 + ((i * 7919) % 300_000));
        pieces.push(store.write('big', off, data.subarray(off, off + len)));
        off += len;
      }
      await Promise.all(pieces);
      expectBytes(await store.read('big', 0, size), data);
    });

    it('lists the content ids that hold data, if it can list at all', async () => {
      if (store.listContent === undefined) return;
      await store.write('list-a', 0, Buffer.from('a'));
      await store.write('list-b', 5, Buffer.from('b'));
      await store.write('list-c', 0, Buffer.from('c'));
      await store.delete('list-a');
      const ids: string[] = [];
      for await (const id of store.listContent()) ids.push(id);
      expect(ids.sort()).toEqual(['list-b', 'list-c']);
    });

    it('rejects negative or fractional ranges', async () => {
      await expect(store.write('r', -1, Buffer.from('x'))).rejects.toMatchObject({ code: 'INVAL' });
      await expect(store.read('r', 1.5, 1)).rejects.toMatchObject({ code: 'INVAL' });
      await expect(store.truncate('r', -5)).rejects.toMatchObject({ code: 'INVAL' });
      await expect(store.write('r', Number.MAX_SAFE_INTEGER, Buffer.from('xy'))).rejects.toMatchObject({
        code: 'FBIG',
      });
    });
  });
}
