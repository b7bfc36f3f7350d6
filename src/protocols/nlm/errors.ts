/**
 * The one mapping from core errors to NLM status codes (XNFS §14.2
 * nlm4_stats), and the narrowing of version 4 statuses to the five that
 * versions 1 and 3 define (§10.2 nlm_stats).
 */
import { FsError, type FsErrorCode } from '../../core/errors.js';
import { NLM_V4, NlmStatus } from './constants.js';

/**
 * FsError codes as NLM4 statuses. A handle that names no file (any more) is
 * STALE_FH; a conflict is DENIED; GRACE only reclaims may proceed; anything
 * the lock manager cannot do for lack of resources or support is
 * DENIED_NOLOCKS ("try later"); the rest is FAILED.
 */
const FS_ERROR_TO_NLM4: Readonly<Record<FsErrorCode, NlmStatus>> = {
  NOENT: NlmStatus.STALE_FH,
  STALE: NlmStatus.STALE_FH,
  BADHANDLE: NlmStatus.STALE_FH,
  LOCKED: NlmStatus.DENIED,
  DEADLK: NlmStatus.DEADLCK,
  GRACE: NlmStatus.DENIED_GRACE_PERIOD,
  DELAY: NlmStatus.DENIED_NOLOCKS,
  NOSPC: NlmStatus.DENIED_NOLOCKS,
  DQUOT: NlmStatus.DENIED_NOLOCKS,
  NOTSUPP: NlmStatus.DENIED_NOLOCKS,
  ROFS: NlmStatus.ROFS,
  FBIG: NlmStatus.FBIG,
  INVAL: NlmStatus.FAILED,
  EXIST: NlmStatus.FAILED,
  NOTDIR: NlmStatus.FAILED,
  ISDIR: NlmStatus.FAILED,
  NOTEMPTY: NlmStatus.FAILED,
  ACCES: NlmStatus.FAILED,
  PERM: NlmStatus.FAILED,
  NAMETOOLONG: NlmStatus.FAILED,
  XDEV: NlmStatus.FAILED,
  MLINK: NlmStatus.FAILED,
  LOOP: NlmStatus.FAILED,
  NOT_SYNC: NlmStatus.FAILED,
  BADTYPE: NlmStatus.FAILED,
  BADCOOKIE: NlmStatus.FAILED,
  IO: NlmStatus.FAILED,
};

/** The NLM4 status for a thrown value; undefined when it is not an FsError (a bug). */
export function nlmStatusOf(e: unknown): NlmStatus | undefined {
  return e instanceof FsError ? FS_ERROR_TO_NLM4[e.code] : undefined;
}

/**
 * The status as sent to a client speaking `vers`. Versions 1 and 3 know only
 * GRANTED..DENIED_GRACE_PERIOD: a deadlock is reported as a plain denial and
 * every other failure as DENIED_NOLOCKS, which clients treat as "try again"
 * (the mapping Linux's lockd uses for the same statuses).
 */
export function toWireStatus(stat: NlmStatus, vers: number): number {
  if (vers === NLM_V4 || stat <= NlmStatus.DENIED_GRACE_PERIOD) return stat;
  return stat === NlmStatus.DEADLCK ? NlmStatus.DENIED : NlmStatus.DENIED_NOLOCKS;
}
