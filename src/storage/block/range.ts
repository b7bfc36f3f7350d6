import { FsError } from '../../core/errors.js';

/**
 * Validate an (offset, length) pair from a caller: both non-negative
 * integers and the end below 2^53 (the block-store contract's byte range).
 */
export function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new FsError('INVAL', `bad range ${offset}+${length}`);
  }
  if (offset + length > Number.MAX_SAFE_INTEGER) throw new FsError('FBIG', `range ${offset}+${length} too large`);
}
