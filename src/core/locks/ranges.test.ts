import { describe, expect, it } from 'vitest';
import { isFsError } from '../errors.js';
import { applyLock, carve, covers, normalizeRange, type RangeLock } from './ranges.js';
import { owner } from './testing/test-helpers.js';

const A = owner('a');
const B = owner('b');

function view(locks: RangeLock[]): Array<[string, number, number, string]> {
  return locks.map((l) => [l.owner.clientId, l.start, l.end, l.type[0]!]);
}

describe('normalizeRange', () => {
  it('treats length 0 and Infinity as to end of file', () => {
    expect(normalizeRange(10, 0)).toEqual({ start: 10, end: Infinity });
    expect(normalizeRange(10, Infinity)).toEqual({ start: 10, end: Infinity });
  });

  it('clamps offset + length at or beyond 2^64 to end of file', () => {
    expect(normalizeRange(2 ** 63, 2 ** 63)).toEqual({ start: 2 ** 63, end: Infinity });
    expect(normalizeRange(1, 2 ** 64)).toEqual({ start: 1, end: Infinity });
    expect(normalizeRange(5, 10)).toEqual({ start: 5, end: 15 });
  });

  it('refuses negative, NaN and out-of-range offsets with INVAL', () => {
    for (const [o, l] of [
      [-1, 1],
      [NaN, 1],
      [0, -1],
      [0, NaN],
      [2 ** 64, 1],
      [Infinity, 0],
    ] as const) {
      expect(() => normalizeRange(o, l)).toThrow(expect.objectContaining({ code: 'INVAL' }));
      try {
        normalizeRange(o, l);
      } catch (e) {
        expect(isFsError(e, 'INVAL')).toBe(true);
      }
    }
  });
});

describe('applyLock and carve (POSIX per-owner semantics)', () => {
  it('merges overlapping and adjacent ranges of the same type', () => {
    let l = applyLock([], A, 0, 10, 'shared');
    l = applyLock(l, A, 10, 20, 'shared');
    l = applyLock(l, A, 5, 25, 'shared');
    expect(view(l)).toEqual([['a', 0, 25, 's']]);
  });

  it('does not merge adjacent ranges of different types or owners', () => {
    let l = applyLock([], A, 0, 10, 'shared');
    l = applyLock(l, A, 10, 20, 'exclusive');
    l = applyLock(l, B, 20, 30, 'shared');
    expect(view(l)).toEqual([
      ['a', 0, 10, 's'],
      ['a', 10, 20, 'e'],
      ['b', 20, 30, 's'],
    ]);
  });

  it('upgrades the middle of a shared range, leaving shared pieces either side', () => {
    let l = applyLock([], A, 0, 100, 'shared');
    l = applyLock(l, A, 40, 60, 'exclusive');
    expect(view(l)).toEqual([
      ['a', 0, 40, 's'],
      ['a', 40, 60, 'e'],
      ['a', 60, 100, 's'],
    ]);
    // Downgrading the middle back merges everything into one shared record.
    l = applyLock(l, A, 40, 60, 'shared');
    expect(view(l)).toEqual([['a', 0, 100, 's']]);
  });

  it('splits a lock when its middle is unlocked, and keeps other owners intact', () => {
    let l = applyLock([], A, 0, Infinity, 'exclusive');
    l = applyLock(l, B, 0, 5, 'shared');
    l = carve(l, A, 10, 20);
    expect(view(l)).toEqual([
      ['a', 0, 10, 'e'],
      ['b', 0, 5, 's'],
      ['a', 20, Infinity, 'e'],
    ]);
    expect(view(carve(l, A, 0, Infinity))).toEqual([['b', 0, 5, 's']]);
  });

  it('covers() needs full coverage by a strong enough type', () => {
    const l = applyLock(applyLock([], A, 0, 10, 'exclusive'), A, 10, 20, 'shared');
    expect(covers(l, 0, 20, 'shared')).toBe(true);
    expect(covers(l, 0, 20, 'exclusive')).toBe(false);
    expect(covers(l, 2, 8, 'exclusive')).toBe(true);
    expect(covers(l, 15, 25, 'shared')).toBe(false);
    expect(covers(carve(l, A, 5, 6), 0, 10, 'shared')).toBe(false);
  });
});
