/**
 * Network Lock Manager constants (Open Group XNFS, "Network Lock Manager
 * Protocol" chapters 10 (versions 1 and 3) and 14 (version 4)).
 */
export const NLM_PROGRAM = 100021;
export const NLM_V1 = 1;
export const NLM_V3 = 3;
export const NLM_V4 = 4;

/** XNFS §10.2: LM_MAXSTRLEN bounds caller_name; MAXNETOBJ_SZ bounds every netobj. */
export const LM_MAXSTRLEN = 1024;
export const MAXNETOBJ_SZ = 1024;
/** XNFS §10.2: nlm_notify.name is string<MAXNAMELEN>, MAXNAMELEN = LM_MAXSTRLEN + 1. */
export const LM_MAXNAMELEN = LM_MAXSTRLEN + 1;

/** XNFS §10.3 / §14.3 procedure numbers (the same in every version; 16-19 are unused). */
export enum NlmProc {
  NULL = 0,
  TEST = 1,
  LOCK = 2,
  CANCEL = 3,
  UNLOCK = 4,
  GRANTED = 5,
  TEST_MSG = 6,
  LOCK_MSG = 7,
  CANCEL_MSG = 8,
  UNLOCK_MSG = 9,
  GRANTED_MSG = 10,
  TEST_RES = 11,
  LOCK_RES = 12,
  CANCEL_RES = 13,
  UNLOCK_RES = 14,
  GRANTED_RES = 15,
  SHARE = 20,
  UNSHARE = 21,
  NM_LOCK = 22,
  FREE_ALL = 23,
}

/**
 * nlm4_stats (XNFS §14.2). Versions 1 and 3 (nlm_stats, §10.2) define only
 * the first five; {@link toWireStatus} maps the rest down for them.
 */
export enum NlmStatus {
  GRANTED = 0,
  DENIED = 1,
  DENIED_NOLOCKS = 2,
  BLOCKED = 3,
  DENIED_GRACE_PERIOD = 4,
  DEADLCK = 5,
  ROFS = 6,
  STALE_FH = 7,
  FBIG = 8,
  FAILED = 9,
}

/** XNFS §10.2 fsh_mode: the deny mode of a DOS share reservation. */
export enum FshMode {
  DN = 0,
  DR = 1,
  DW = 2,
  DRW = 3,
}

/** XNFS §10.2 fsh_access: the access a DOS share reservation asks for. */
export enum FshAccess {
  NONE = 0,
  R = 1,
  W = 2,
  RW = 3,
}
