/** MOUNT protocol constants (RFC 1813 Appendix I; v1 in RFC 1094 Appendix A). */

export const MOUNT_PROGRAM = 100005;
/** v1 and v2 differ from v3 only in MNT (and v2's PATHCONF), which serve NFSv2 handles. */
export const MOUNT_V1 = 1;
export const MOUNT_V3 = 3;

/** RFC 1813 Appendix I: maximum bytes in a path name and in a host name. */
export const MNTPATHLEN = 1024;
export const MNTNAMLEN = 255;

export enum MountProc {
  NULL = 0,
  MNT = 1,
  DUMP = 2,
  UMNT = 3,
  UMNTALL = 4,
  EXPORT = 5,
}

/** RFC 1813 Appendix I mountstat3. */
export enum MountStat3 {
  OK = 0,
  PERM = 1,
  NOENT = 2,
  IO = 5,
  ACCES = 13,
  NOTDIR = 20,
  INVAL = 22,
  NAMETOOLONG = 63,
  NOTSUPP = 10004,
  SERVERFAULT = 10006,
}

/** Mount records kept for DUMP; MNT beyond this still works but is not recorded. */
export const MAX_MOUNT_RECORDS = 10_000;
