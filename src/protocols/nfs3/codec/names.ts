import { isUtf8 } from 'node:buffer';
import { FsError } from '../../../core/errors.js';

/*
 * RFC 1813 §2.5 leaves the character set of filename3/nfspath3 to the server.
 * DittoFS stores names as UTF-8 (the same names are served over SMB, which
 * is Unicode), so bytes that are not valid UTF-8 are refused with
 * NFS3ERR_INVAL rather than silently mangled into U+FFFD, which could make
 * two different wire names collide. Every other name rule (length, '/',
 * NUL, "." and "..") is the VFS's (core/vfs/names.ts).
 */

/** A filename3 or nfspath3 as a string; INVAL for bytes that are not UTF-8. */
export function toFileName(raw: Buffer): string {
  if (!isUtf8(raw)) throw new FsError('INVAL', 'name is not valid UTF-8');
  return raw.toString('utf8');
}

/** An nfspath3 (symlink target): same rule as a file name. */
export const toPath = toFileName;
