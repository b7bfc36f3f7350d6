import { isFsError } from '../../core/errors.js';
import type { Credentials, FileId, Inode } from '../../core/types.js';
import type { VfsApi } from '../../core/vfs/api.js';
import { NtStatusError, Status } from './status.js';

/** MS-FSCC §2.1.5.2: characters a file name component may not contain (besides controls). */
const INVALID_NAME_CHARS = /["*/:<>?|]/;

function invalidComponent(c: string): boolean {
  if (c === '' || c === '.' || c === '..' || INVALID_NAME_CHARS.test(c)) return true;
  for (let i = 0; i < c.length; i++) if (c.charCodeAt(i) < 0x20) return true;
  return false;
}

/**
 * Split a share-relative SMB path ("dir\\file", "" = the share root) into
 * components. A trailing "::$DATA" names the main data stream, the only
 * stream there is; other stream names, wildcards, "." and ".." components
 * are invalid names.
 */
export function splitPath(path: string): string[] {
  let p = path;
  if (p.toUpperCase().endsWith('::$DATA')) p = p.slice(0, -7);
  // CREATE refuses a leading backslash itself (MS-SMB2 §3.3.5.9); elsewhere (rename targets) it is the share root.
  const parts = p.split('\\');
  while (parts.length > 0 && parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  for (const c of parts) {
    if (invalidComponent(c)) {
      throw new NtStatusError(Status.OBJECT_NAME_INVALID, `bad path component in ${path}`);
    }
  }
  return parts;
}

/**
 * Walk `components` from `root` and return the directory that holds the
 * last one. MS-SMB2/Windows: a missing or non-directory intermediate
 * component is OBJECT_PATH_NOT_FOUND, not OBJECT_NAME_NOT_FOUND.
 */
export async function resolveParent(
  vfs: VfsApi,
  cred: Credentials,
  root: FileId,
  components: string[],
): Promise<FileId> {
  let dir = root;
  for (let i = 0; i < components.length - 1; i++) {
    let child: Inode;
    try {
      child = await vfs.lookup(cred, dir, components[i]);
    } catch (e) {
      if (isFsError(e, 'NOENT') || isFsError(e, 'NOTDIR')) throw new NtStatusError(Status.OBJECT_PATH_NOT_FOUND);
      throw e;
    }
    if (child.type !== 'dir') throw new NtStatusError(Status.OBJECT_PATH_NOT_FOUND);
    dir = child.id;
  }
  return dir;
}

/** lookup, with NOENT as undefined. */
export async function lookupOptional(
  vfs: VfsApi,
  cred: Credentials,
  dir: FileId,
  name: string,
): Promise<Inode | undefined> {
  try {
    return await vfs.lookup(cred, dir, name);
  } catch (e) {
    if (isFsError(e, 'NOENT')) return undefined;
    throw e;
  }
}
