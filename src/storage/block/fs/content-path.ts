import { join } from 'node:path';
import { FsError } from '../../../core/errors.js';

/**
 * Content ids become file names under the store root, so only a strict
 * charset is accepted: letters, digits, '_' and '-', 1 to 128 characters.
 * Anything else ('/', '..', NUL, '.', non-ASCII, empty) is INVAL, so no id
 * can name a path outside the root whatever it says.
 */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function validateContentId(contentId: string): void {
  if (typeof contentId !== 'string' || !SAFE_ID.test(contentId)) {
    throw new FsError('INVAL', 'invalid content id');
  }
}

/** Shard directory (two hex digits, 256 shards) from an FNV-1a hash of the id: keeps directories small. */
export function shardOf(contentId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < contentId.length; i++) {
    h ^= contentId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 0) & 0xff).toString(16).padStart(2, '0');
}

/** The content file of `contentId` under `root` (validated first). */
export function contentPath(root: string, contentId: string): { dir: string; file: string } {
  validateContentId(contentId);
  const dir = join(root, shardOf(contentId));
  return { dir, file: join(dir, contentId) };
}
