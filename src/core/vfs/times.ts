import { FsError } from '../errors.js';
import type { Timespec } from '../types.js';

export type Clock = () => Timespec;

const NS = 1_000_000_000n;
// Wall-clock epoch in ns, minus the monotonic clock at start: adding the
// monotonic clock gives nanosecond, never-decreasing timestamps.
const epochOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** The server clock: real time with nanosecond resolution, monotonic within the process. */
export const systemClock: Clock = () => {
  const ns = epochOffset + process.hrtime.bigint();
  return { sec: Number(ns / NS), nsec: Number(ns % NS) };
};

export function compareTime(a: Timespec, b: Timespec): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

export function sameTime(a: Timespec, b: Timespec): boolean {
  return a.sec === b.sec && a.nsec === b.nsec;
}

/** A client-supplied time: integral seconds and nanoseconds below 10^9. */
export function checkTime(t: Timespec): Timespec {
  if (!Number.isSafeInteger(t.sec) || !Number.isInteger(t.nsec) || t.nsec < 0 || t.nsec >= 1e9) {
    throw new FsError('INVAL', 'invalid time');
  }
  return { sec: t.sec, nsec: t.nsec };
}

const DAY = 24 * 60 * 60;

/**
 * relatime: a read updates atime only when atime is not newer than mtime or
 * ctime, or is a day old. Reads then usually cost one read-only transaction,
 * while "was it read since it changed" (mail readers, tmpwatch) still works.
 */
export function atimeDue(atime: Timespec, mtime: Timespec, ctime: Timespec, now: Timespec): boolean {
  return compareTime(atime, mtime) <= 0 || compareTime(atime, ctime) <= 0 || now.sec - atime.sec >= DAY;
}
