import type { XdrReader } from '../../xdr/reader.js';
import { MNTPATHLEN } from '../constants.js';

/**
 * A dirpath argument (string<MNTPATHLEN>) as an export name: trailing
 * slashes are dropped so "/export/" names "/export" (the root "/" stays).
 */
export function readDirpath(r: XdrReader): string {
  const path = r.string(MNTPATHLEN);
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end === path.length ? path : path.slice(0, end);
}
