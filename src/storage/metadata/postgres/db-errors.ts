import { FsError } from '../../../core/errors.js';

/** SQLSTATE of a node-postgres DatabaseError, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 ? code : undefined;
}

/**
 * serialization_failure and deadlock_detected: the transaction lost a
 * conflict and may succeed when run again (PostgreSQL docs §13.2.3,
 * "applications using this level must be prepared to retry transactions").
 */
export function isRetryable(err: unknown): boolean {
  const s = sqlState(err);
  return s === '40001' || s === '40P01';
}

/**
 * The contract's error for a database error. Retryable errors pass through
 * untouched (the store retries on them); the rest become FsError, keeping the
 * original as `cause` for the log.
 */
export function translateDbError(err: unknown): unknown {
  if (err instanceof FsError || isRetryable(err)) return err;
  const state = sqlState(err);
  const constraint = (err as { constraint?: unknown }).constraint;
  let e: FsError;
  if (state === '23505' && constraint === 'dirents_pkey') {
    e = new FsError('EXIST', 'directory entry exists');
  } else if (state === 'P0002') {
    // Raised by expect_rows() in a batched removeEntry.
    e = new FsError('NOENT', 'no such directory entry');
  } else if (state === '22021' || state === '22P05') {
    // Text PostgreSQL cannot store (NUL, invalid UTF-8).
    e = new FsError('INVAL', 'name or value not storable as text');
  } else {
    e = new FsError('IO', `metadata database: ${(err as Error)?.message ?? String(err)}`);
  }
  (e as { cause?: unknown }).cause = err;
  return e;
}
