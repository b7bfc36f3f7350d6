import { describe, expect, it } from 'vitest';
import { XdrError } from './errors.js';
import { XdrReader } from './reader.js';
import { XdrWriter } from './writer.js';

describe('XdrReader bounds', () => {
  it('rejects a fixed opaque whose padded length wraps around 2^32', () => {
    // (0xfffffffd + 3) & ~3 is 0 in 32-bit arithmetic: the check must not rely on it.
    const r = new XdrReader(Buffer.alloc(16));
    expect(() => r.fixedOpaque(0xfffffffd)).toThrow(XdrError);
    expect(() => r.fixedOpaque(0xffffffff)).toThrow(XdrError);
    expect(r.offset).toBe(0);
  });

  it('rejects an opaque length near 2^32 even with an unbounded maximum', () => {
    const b = Buffer.alloc(12);
    b.writeUInt32BE(0xfffffffe, 0);
    expect(() => new XdrReader(b).opaque(0xffffffff)).toThrow(XdrError);
  });
});

describe('XdrWriter growth', () => {
  it('grows from a zero initial size', () => {
    const w = new XdrWriter(0);
    w.uint32(1).uint32(2);
    expect([...w.toBuffer()]).toEqual([0, 0, 0, 1, 0, 0, 0, 2]);
    expect(w.capacity).toBeGreaterThanOrEqual(8);
  });
});
