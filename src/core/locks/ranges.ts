import { FsError } from '../errors.js';
import { LOCK_RANGE_LIMIT, type LockOwner, type LockRange, type LockType } from './api.js';
import { sameOwner } from './owners.js';

/**
 * A byte-range lock as the manager keeps it: half-open [start, end), with
 * end = Infinity for "to end of file". Records of one file are kept in an
 * array; files rarely hold more than a handful, so linear scans win over
 * interval trees here.
 */
export interface RangeLock {
  owner: LockOwner;
  start: number;
  end: number;
  type: LockType;
  /**
   * Taken with Windows semantics (LockRequest.semantics): kept as its own
   * record, never merged or split, removed only by an exact unlock.
   */
  windows?: true;
}

/**
 * [start, end) of a request. POSIX/NLM: length 0 means to EOF (RFC 1813 has no
 * locking; NLM4 §"nlm4_lock" l_len = 0 is "to end of file"); offsets at or past
 * 2^64 cannot be expressed on the wire, so anything reaching them is EOF.
 */
export function normalizeRange(offset: number, length: number): { start: number; end: number } {
  if (!Number.isFinite(offset) || offset < 0 || Number.isNaN(length) || length < 0) {
    throw new FsError('INVAL', `bad lock range ${offset}+${length}`);
  }
  if (offset >= LOCK_RANGE_LIMIT) throw new FsError('INVAL', `lock offset ${offset} beyond 2^64`);
  if (length === 0 || length === Infinity || offset + length >= LOCK_RANGE_LIMIT) {
    return { start: offset, end: Infinity };
  }
  return { start: offset, end: offset + length };
}

/**
 * [start, end) of a Windows-semantics request (MS-FSA §2.1.5.8): length 0 is
 * an empty range (it overlaps nothing at or outside its offset), never "to end
 * of file"; a range past 2^64 is invalid (the protocol answers
 * STATUS_INVALID_LOCK_RANGE before asking).
 */
export function normalizeWindowsRange(offset: number, length: number): { start: number; end: number } {
  if (!Number.isFinite(offset) || offset < 0 || !Number.isFinite(length) || length < 0) {
    throw new FsError('INVAL', `bad lock range ${offset}+${length}`);
  }
  if (offset + length > LOCK_RANGE_LIMIT) throw new FsError('INVAL', `lock range ${offset}+${length} beyond 2^64`);
  return { start: offset, end: offset + length };
}

export function toLockRange(start: number, end: number): LockRange {
  return { offset: start, length: end === Infinity ? Infinity : end - start };
}

export function overlaps(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  return aStart < bEnd && bStart < aEnd;
}

/**
 * Two lock requests conflict when their owners differ, their ranges overlap
 * and one is exclusive. A Windows-semantics request (`windows`) also
 * conflicts with its own owner's locks when it is exclusive (MS-FSA
 * §2.1.4.10: locks of one open do not merge; as Samba's brl_conflict, a
 * shared lock may stack on the open's own exclusive lock).
 */
export function conflicts(
  a: RangeLock,
  owner: LockOwner,
  start: number,
  end: number,
  type: LockType,
  windows = false,
): boolean {
  if (windows && type === 'exclusive' && sameOwner(a.owner, owner)) return overlaps(a.start, a.end, start, end);
  return conflictsWith(a.owner, a.start, a.end, a.type, owner, start, end, type);
}

/**
 * Whether a read or write over [start, end) by `owner` is refused by lock `a`
 * under Windows mandatory locking (MS-FSA §2.1.4.10 without lock intent, as
 * Samba's brl_conflict_other): another owner's exclusive lock refuses both, a
 * shared lock (anyone's, the owner's own too) refuses writes.
 */
export function ioConflicts(a: RangeLock, owner: LockOwner, start: number, end: number, write: boolean): boolean {
  if (!overlaps(a.start, a.end, start, end)) return false;
  if (a.type === 'shared') return write;
  return !sameOwner(a.owner, owner);
}

/** {@link conflicts} on loose fields, so queued requests are checked without building records. */
export function conflictsWith(
  aOwner: LockOwner,
  aStart: number,
  aEnd: number,
  aType: LockType,
  owner: LockOwner,
  start: number,
  end: number,
  type: LockType,
): boolean {
  return (
    (aType === 'exclusive' || type === 'exclusive') && overlaps(aStart, aEnd, start, end) && !sameOwner(aOwner, owner)
  );
}

/**
 * Remove `owner`'s coverage of [start, end) from `locks`, splitting records
 * that stick out on either side (POSIX: unlocking the middle of a lock leaves
 * two locks). Other owners' records are kept as they are. Returns a new array
 * ordered by start.
 */
export function carve(locks: readonly RangeLock[], owner: LockOwner, start: number, end: number): RangeLock[] {
  const out: RangeLock[] = [];
  for (const l of locks) {
    if (!sameOwner(l.owner, owner) || !overlaps(l.start, l.end, start, end)) {
      out.push(l);
      continue;
    }
    if (l.start < start) out.push({ owner: l.owner, start: l.start, end: start, type: l.type });
    if (l.end > end) out.push({ owner: l.owner, start: end, end: l.end, type: l.type });
  }
  // Kept ordered by start so that listings (TEST, admin) are stable.
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Apply a granted lock for `owner` (POSIX fcntl semantics): the new type
 * replaces whatever the owner held over the range (upgrade or downgrade),
 * and the result merges with the owner's overlapping or adjacent records of
 * the same type, so one owner never holds two touching records of one type.
 */
export function applyLock(
  locks: readonly RangeLock[],
  owner: LockOwner,
  start: number,
  end: number,
  type: LockType,
): RangeLock[] {
  const carved = carve(locks, owner, start, end);
  let s = start;
  let e = end;
  const out: RangeLock[] = [];
  for (const l of carved) {
    if (sameOwner(l.owner, owner) && l.type === type && l.start <= e && l.end >= s) {
      s = Math.min(s, l.start);
      e = Math.max(e, l.end);
    } else {
      out.push(l);
    }
  }
  out.push({ owner, start: s, end: e, type });
  out.sort((a, b) => a.start - b.start);
  return out;
}

/** Add a Windows-semantics lock as its own record (locks of one open stack, MS-FSA §2.1.5.8). */
export function addWindowsLock(
  locks: readonly RangeLock[],
  owner: LockOwner,
  start: number,
  end: number,
  type: LockType,
): RangeLock[] {
  const out = [...locks, { owner, start, end, type, windows: true as const }];
  // Stable: stacked records of one range stay in the order they were taken.
  return out.sort((a, b) => a.start - b.start);
}

/**
 * MS-FSA §2.1.5.9: remove one of `owner`'s locks with exactly [start, end),
 * an exclusive one when there is one. Undefined when none matches
 * (STATUS_RANGE_NOT_LOCKED).
 */
export function removeExact(
  locks: readonly RangeLock[],
  owner: LockOwner,
  start: number,
  end: number,
): RangeLock[] | undefined {
  let found = -1;
  for (let i = 0; i < locks.length; i++) {
    const l = locks[i]!;
    if (l.start !== start || l.end !== end || !sameOwner(l.owner, owner)) continue;
    found = i;
    if (l.type === 'exclusive') break;
  }
  if (found < 0) return undefined;
  return locks.filter((_, i) => i !== found);
}

/**
 * True when [start, end) is entirely covered by `locks` (already filtered to
 * the candidates) of a type at least as strong as `type`.
 */
export function covers(locks: readonly RangeLock[], start: number, end: number, type: LockType): boolean {
  const usable = locks
    .filter((l) => (type === 'shared' || l.type === 'exclusive') && overlaps(l.start, l.end, start, end))
    .sort((a, b) => a.start - b.start);
  let at = start;
  for (const l of usable) {
    if (l.start > at) return false;
    if (l.end > at) at = l.end;
    if (at >= end) return true;
  }
  return at >= end;
}
