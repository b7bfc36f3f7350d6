import { describe, expect, it } from 'vitest';
import { DuplicateRequestCache, argsChecksum } from './drc.js';

const key = (xid: number, address = '10.0.0.1', args = Buffer.from([1, 2, 3])) => ({
  address,
  xid,
  prog: 100003,
  vers: 3,
  proc: 8,
  args,
});

describe('duplicate request cache', () => {
  it('reports new, in-progress and replay in turn', () => {
    const drc = new DuplicateRequestCache(4);
    const first = drc.begin(key(1));
    expect(first.kind).toBe('new');
    expect(drc.begin(key(1)).kind).toBe('in-progress');
    if (first.kind === 'new') drc.complete(first.key, Buffer.from('reply'));
    expect(drc.begin(key(1))).toEqual({ kind: 'replay', reply: Buffer.from('reply') });
  });

  it('keys on address, xid and arguments', () => {
    const drc = new DuplicateRequestCache(8);
    drc.begin(key(1));
    expect(drc.begin(key(1, '10.0.0.2')).kind).toBe('new');
    expect(drc.begin(key(2)).kind).toBe('new');
    expect(drc.begin(key(1, '10.0.0.1', Buffer.from([9]))).kind).toBe('new');
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const drc = new DuplicateRequestCache(2);
    drc.begin(key(1));
    drc.begin(key(2));
    drc.begin(key(1)); // touch 1: 2 becomes the oldest
    drc.begin(key(3));
    expect(drc.size).toBe(2);
    expect(drc.begin(key(1)).kind).toBe('in-progress');
    expect(drc.begin(key(2)).kind).toBe('new');
  });

  it('forgets abandoned calls and does not keep oversized replies', () => {
    const drc = new DuplicateRequestCache(4);
    const a = drc.begin(key(1));
    if (a.kind === 'new') drc.abandon(a.key);
    expect(drc.begin(key(1)).kind).toBe('new');
    const b = drc.begin(key(2));
    if (b.kind === 'new') drc.complete(b.key, Buffer.alloc(100 * 1024));
    expect(drc.begin(key(2)).kind).toBe('new');
  });

  it('checksums differ for different arguments of the same length', () => {
    expect(argsChecksum(Buffer.from([1, 2, 3, 4]))).not.toBe(argsChecksum(Buffer.from([1, 2, 3, 5])));
    expect(argsChecksum(Buffer.alloc(8))).not.toBe(argsChecksum(Buffer.alloc(12)));
  });
});
