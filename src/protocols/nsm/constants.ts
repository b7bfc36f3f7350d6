/**
 * Network Status Monitor constants (Open Group XNFS, "Network Status Monitor
 * Protocol", chapter 11; program 100024 version 1).
 */
export const NSM_PROGRAM = 100024;
export const NSM_V1 = 1;

/** XNFS §11.2: every host name is string<SM_MAXSTRLEN>. */
export const SM_MAXSTRLEN = 1024;
/** XNFS §11.2: mon.priv is opaque[SM_PRIV_SIZE], handed back in the status callback. */
export const SM_PRIV_SIZE = 16;

export enum NsmProc {
  NULL = 0,
  STAT = 1,
  MON = 2,
  UNMON = 3,
  UNMON_ALL = 4,
  SIMU_CRASH = 5,
  NOTIFY = 6,
}

/** XNFS §11.2 res. */
export enum NsmRes {
  SUCC = 0,
  FAIL = 1,
}
