import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectBytes, pattern } from '../conformance.js';
import { ChunkedBlockStore } from './chunked-block-store.js';
import { MemoryLocalTier } from './memory-local-tier.js';

const CS = 16_384;

/** A local tier whose puts wait at a gate (a slow disk), or fail while `failing`. */
class GatedTier extends MemoryLocalTier {
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  failing = false;
  puts = 0;

  close_(): void {
    this.gate = new Promise((r) => (this.openGate = r));
  }

  open_(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  override async put(hash: string, data: Buffer): Promise<void> {
    this.puts++;
    await this.gate;
    if (this.failing) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    await super.put(hash, data);
  }
}

/** Resolves to 'done' if `p` settles within `ms`, else 'blocked'. */
async function within(p: Promise<unknown>, ms = 200): Promise<'done' | 'blocked'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'blocked'>((r) => (timer = setTimeout(() => r('blocked'), ms)));
  try {
    return await Promise.race([p.then(() => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('chunked store: writers proceed while a flush is in progress', () => {
  let dir: string;
  let tier: GatedTier;
  let store: ChunkedBlockStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-flush-'));
    tier = new GatedTier();
    store = new ChunkedBlockStore({ dir, local: tier, chunkSize: CS, gcIntervalMs: 0, flushIntervalMs: 0 });
    await store.open();
  });
  afterEach(async () => {
    tier.open_();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes and reads of the file being flushed complete before the flush does, and the next commit stores them', async () => {
    await store.write('f', 0, pattern(2 * CS, 1));
    tier.close_();
    const committing = store.commit('f');
    // The flush has taken the chunks and waits in the local tier.
    while (tier.puts === 0) await new Promise((r) => setImmediate(r));
    expect(await within(store.write('f', 100, Buffer.from('overwrite')))).toBe('done');
    expect(await within(store.write('f', 2 * CS, pattern(CS, 2)))).toBe('done');
    const expected = Buffer.concat([pattern(2 * CS, 1), pattern(CS, 2)]);
    Buffer.from('overwrite').copy(expected, 100);
    expectBytes(await store.read('f', 0, 3 * CS), expected);
    expect(await within(committing, 50)).toBe('blocked');
    tier.open_();
    await committing;
    // The writes made during the flush are still buffered, on top of what it stored.
    expect(store.stats().dirtyBytes).toBe(2 * CS);
    await store.commit('f');
    expect(store.stats().dirtyBytes).toBe(0);
    await store.close();
    store = new ChunkedBlockStore({ dir, local: tier, chunkSize: CS, gcIntervalMs: 0, flushIntervalMs: 0 });
    await store.open();
    expectBytes(await store.read('f', 0, 3 * CS), expected);
  });

  it('a truncate waits for the flush in progress, so the flush cannot bring the cut chunks back', async () => {
    await store.write('t', 0, pattern(3 * CS, 3));
    tier.close_();
    const committing = store.commit('t');
    while (tier.puts === 0) await new Promise((r) => setImmediate(r));
    const truncating = store.truncate('t', CS / 2);
    expect(await within(truncating, 50)).toBe('blocked');
    tier.open_();
    await committing;
    await truncating;
    await store.commit('t');
    const expected = Buffer.concat([pattern(3 * CS, 3).subarray(0, CS / 2), Buffer.alloc(CS / 2 + 2 * CS)]);
    expectBytes(await store.read('t', 0, 3 * CS), expected);
    expect(store.referencedChunks().size).toBe(1);
  });

  it('a failed flush hands its chunks back: nothing written before or during it is lost', async () => {
    await store.write('e', 0, pattern(2 * CS, 4));
    tier.close_();
    tier.failing = true;
    const committing = store.commit('e');
    while (tier.puts === 0) await new Promise((r) => setImmediate(r));
    await store.write('e', 10, Buffer.from('during'));
    tier.open_();
    await expect(committing).rejects.toThrow(/disk full/);
    const expected = pattern(2 * CS, 4);
    Buffer.from('during').copy(expected, 10);
    expectBytes(await store.read('e', 0, 2 * CS), expected);
    expect(store.stats().dirtyBytes).toBe(2 * CS);
    tier.failing = false;
    await store.commit('e');
    expect(store.stats().dirtyBytes).toBe(0);
    expectBytes(await store.read('e', 0, 2 * CS), expected);
  });

  it('names chunks of a large (sliced) batch and of a small one alike, so they dedup', async () => {
    const big = new ChunkedBlockStore({
      dir: join(dir, 'big'),
      local: new MemoryLocalTier(),
      chunkSize: 1024 * 1024,
      gcIntervalMs: 0,
      flushIntervalMs: 0,
    });
    await big.open();
    try {
      // A 6 MiB batch and a later 1 MiB one holding the same bytes dedup to the same chunks.
      const data = pattern(6 * 1024 * 1024, 5);
      await big.write('a', 0, data);
      await big.commit('a');
      await big.write('b', 0, data.subarray(0, 1024 * 1024));
      await big.write('b', 1024 * 1024, Buffer.alloc(1024 * 1024));
      await big.commit('b');
      expect(big.referencedChunks().size).toBe(6);
      expectBytes(await big.read('a', 0, data.length), data);
      expectBytes(
        await big.read('b', 0, 2 * 1024 * 1024),
        Buffer.concat([data.subarray(0, 1024 * 1024), Buffer.alloc(1024 * 1024)]),
      );
    } finally {
      await big.close();
    }
  });
});
