import { isUtf8 } from 'node:buffer';
import { FsError } from '../../../core/errors.js';
import { NFS3_NAME_MAX, NFS3_PATH_MAX } from '../constants.js';

/*
 * RFC 1813 §2.5 leaves the character set of filename3/nfspath3 to the server.
 * DittoFS stores names as UTF-8 (the same names are served over SMB, which
 * is Unicode), so bytes that are not valid UTF-8 are refused with
 * NFS3ERR_INVAL rather than silently mangled into U+FFFD, which could make
 * two different wire names collide.
 */

/** A filename3 component as a string; INVAL for bad bytes, NAMETOOLONG past PATHCONF name_max. */
export function toFileName(raw: Buffer): string {
  if (raw.length > NFS3_NAME_MAX) throw new FsError('NAMETOOLONG');
  if (!isUtf8(raw)) throw new FsError('INVAL', 'file name is not valid UTF-8');
  // A component never contains a separator or NUL (the VFS checks too; this
  // keeps hostile names from reaching any store).
  if (raw.includes(0x2f) || raw.includes(0)) throw new FsError('INVAL', 'file name contains "/" or NUL');
  return raw.toString('utf8');
}

/** An nfspath3 (symlink target) as a string. */
export function toPath(raw: Buffer): string {
  if (raw.length > NFS3_PATH_MAX) throw new FsError('NAMETOOLONG');
  if (!isUtf8(raw)) throw new FsError('INVAL', 'path is not valid UTF-8');
  if (raw.includes(0)) throw new FsError('INVAL', 'path contains NUL');
  return raw.toString('utf8');
}
