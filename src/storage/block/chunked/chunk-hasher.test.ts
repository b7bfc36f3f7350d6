import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkHash, hashBatch } from './chunk-hasher.js';

const MIB = 1024 * 1024;

/** Count event-loop turns while `p` runs: zero means `p` held the loop the whole time. */
async function turnsDuring(p: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let on = true;
  const spin = (): void => {
    if (!on) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  await p();
  on = false;
  return turns;
}

describe('chunk hashing', () => {
  it('names a chunk by its SHA-256, and an all-zero or empty chunk as a hole', () => {
    const c = randomBytes(4096);
    expect(chunkHash(c)).toBe(createHash('sha256').update(c).digest('hex'));
    expect(chunkHash(Buffer.alloc(3 * MIB))).toBeUndefined();
    expect(chunkHash(Buffer.alloc(0))).toBeUndefined();
    const almost = Buffer.alloc(MIB);
    almost[MIB - 1] = 1;
    expect(chunkHash(almost)).toBe(createHash('sha256').update(almost).digest('hex'));
  });

  it('hashes a batch in order, giving the event loop a turn between slices', async () => {
    const chunks = Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? Buffer.alloc(MIB) : randomBytes(MIB)));
    let got: (string | undefined)[] = [];
    const turns = await turnsDuring(async () => (got = await hashBatch(chunks, 4 * MIB)));
    expect(got).toEqual(chunks.map(chunkHash));
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});
