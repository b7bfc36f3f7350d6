/**
 * The one error type of the file-system core (DESIGN.md "Errors"). Stores and
 * the VFS throw it; each protocol maps `code` to its wire status in one table.
 */
export type FsErrorCode =
  | 'NOENT'
  | 'EXIST'
  | 'NOTDIR'
  | 'ISDIR'
  | 'NOTEMPTY'
  | 'ACCES'
  | 'PERM'
  | 'ROFS'
  | 'NOSPC'
  | 'DQUOT'
  | 'STALE'
  | 'INVAL'
  | 'NAMETOOLONG'
  | 'XDEV'
  | 'MLINK'
  | 'FBIG'
  | 'LOOP'
  | 'BADHANDLE'
  | 'LOCKED'
  | 'GRACE'
  | 'DELAY'
  | 'NOTSUPP'
  | 'NOT_SYNC'
  | 'BADTYPE'
  | 'BADCOOKIE'
  /** A blocking lock request would close a wait-for cycle (core/locks). */
  | 'DEADLK'
  | 'IO';

export class FsError extends Error {
  constructor(
    readonly code: FsErrorCode,
    message?: string,
  ) {
    super(message ?? code);
    this.name = 'FsError';
  }
}

export function isFsError(e: unknown, code?: FsErrorCode): e is FsError {
  return e instanceof FsError && (code === undefined || e.code === code);
}
