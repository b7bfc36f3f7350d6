import type { Timespec } from '../../core/types.js';

/** Seconds between 1601-01-01 (FILETIME epoch, MS-DTYP §2.3.3) and 1970-01-01. */
const EPOCH_DIFF = 11644473600n;

/** A Timespec as FILETIME: 100-ns intervals since 1601. */
export function toFiletime(t: Timespec): bigint {
  return (BigInt(t.sec) + EPOCH_DIFF) * 10_000_000n + BigInt(Math.floor(t.nsec / 100));
}

export function nowFiletime(): bigint {
  const ms = BigInt(Date.now());
  return (ms + EPOCH_DIFF * 1000n) * 10_000n;
}

/**
 * A FILETIME as a Timespec, or undefined for the values that mean "leave
 * unchanged" in SET_INFO (MS-FSCC §2.4.7: 0, and -1/-2 which stop/resume
 * automatic updates — we treat both as "no change").
 */
export function fromFiletime(ft: bigint): Timespec | undefined {
  if (ft === 0n || ft >= 0xfffffffffffffffen) return undefined;
  const secs = ft / 10_000_000n - EPOCH_DIFF;
  const nsec = Number(ft % 10_000_000n) * 100;
  return { sec: Number(secs), nsec };
}
