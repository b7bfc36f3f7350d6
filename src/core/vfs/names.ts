import { FsError } from '../errors.js';

/** Default longest name, in UTF-8 bytes (NAME_MAX). */
export const DEFAULT_MAX_NAME_BYTES = 255;
/** Longest symlink target, in UTF-8 bytes (PATH_MAX - 1). */
export const MAX_SYMLINK_BYTES = 4095;

function tooLong(name: string, maxBytes: number): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short names skip the byte count.
  return name.length * 3 > maxBytes && Buffer.byteLength(name, 'utf8') > maxBytes;
}

/**
 * A name to look up: the empty name or one with '/' or NUL names nothing
 * (NOENT); over-long is NAMETOOLONG. "." and ".." are handled by the caller.
 */
export function checkLookupName(name: string, maxBytes: number): void {
  if (name.length === 0 || name.includes('/') || name.includes('\0')) throw new FsError('NOENT');
  if (tooLong(name, maxBytes)) throw new FsError('NAMETOOLONG');
}

/**
 * A name for a new entry: "" or one with '/' or NUL is INVAL, "." and ".."
 * always exist (EXIST), over-long is NAMETOOLONG.
 */
export function checkNewName(name: string, maxBytes: number): void {
  if (name.length === 0 || name.includes('/') || name.includes('\0')) throw new FsError('INVAL', 'invalid name');
  if (name === '.' || name === '..') throw new FsError('EXIST');
  if (tooLong(name, maxBytes)) throw new FsError('NAMETOOLONG');
}

/** A name to remove: as a lookup name, with "." refused as INVAL (rmdir(2)); ".." is the caller's. */
export function checkRemoveName(name: string, maxBytes: number): void {
  if (name === '.') throw new FsError('INVAL');
  checkLookupName(name, maxBytes);
}

/** A symlink target: non-empty (as knfsd: NOENT), no NUL, at most MAX_SYMLINK_BYTES. */
export function checkSymlinkTarget(target: string): void {
  if (target.length === 0) throw new FsError('NOENT', 'empty symlink target');
  if (target.includes('\0')) throw new FsError('INVAL', 'NUL in symlink target');
  if (tooLong(target, MAX_SYMLINK_BYTES)) throw new FsError('NAMETOOLONG');
}
