import { FsError } from '../../../core/errors.js';
import type { FileId, Inode } from '../../../core/types.js';
import type { Target } from '../context.js';

/*
 * The directory walk READDIR and READDIRPLUS share.
 *
 * Wire cookies: Linux expects "." and ".." in listings, and the VFS does not
 * return them, so they are synthesised with cookies 1 and 2 and every VFS
 * cookie c is sent as c + 2. Wire cookie 0 starts at ".", 1 resumes at "..",
 * 2 resumes at the first real entry, and n > 2 resumes after VFS cookie n - 2.
 */

const DOT_COOKIE = 1;
const DOTDOT_COOKIE = 2;

export interface WireEntry {
  id: FileId;
  name: Buffer;
  cookie: number;
  /** With `withAttrs`: the entry's inode from the listing's snapshot (undefined: unknown or gone). */
  attr?: Inode;
}

/** Encoded size of an entry3 / the directory part of an entryplus3 (RFC 1813 §3.3.16-17). */
export function entrySize(e: WireEntry): number {
  // value-follows + fileid3 + filename3 (length + padded bytes) + cookie3
  return 4 + 8 + 4 + ((e.name.length + 3) & ~3) + 8;
}

/** RFC 1813 §3.3.16: a non-zero cookie is only good with the verifier that came with it. */
export function checkCookieVerifier(t: Target, cookie: number, verf: Buffer): Buffer {
  const current = t.vfs.cookieVerifier(t.attr);
  if (cookie !== 0 && !current.equals(verf)) throw new FsError('BADCOOKIE', 'cookie verifier mismatch');
  return current;
}

/**
 * Up to `want` entries after wire cookie `cookie` (at least one VFS readdir
 * call is always made, so permission and type errors surface even when only
 * "." and ".." are wanted). `eof` is true when nothing follows the last one.
 */
export async function listEntries(
  t: Target,
  cookie: number,
  want: number,
  withAttrs = false,
): Promise<{ entries: WireEntry[]; eof: boolean; dir: Inode; withAttrs: boolean }> {
  const entries: WireEntry[] = [];
  if (cookie < DOT_COOKIE) entries.push({ id: t.id, name: DOT, cookie: DOT_COOKIE });
  if (cookie < DOTDOT_COOKIE) entries.push({ id: t.attr.parent ?? t.id, name: DOTDOT, cookie: DOTDOT_COOKIE });
  const vfsCookie = cookie > DOTDOT_COOKIE ? cookie - DOTDOT_COOKIE : 0;
  const limit = Math.max(1, want - entries.length);
  if (withAttrs && t.vfs.readdirPlus !== undefined) {
    const res = await t.vfs.readdirPlus(t.cred, t.id, vfsCookie, limit);
    for (let i = 0; i < res.entries.length; i++) {
      const e = res.entries[i];
      entries.push({
        id: e.id,
        name: Buffer.from(e.name, 'utf8'),
        cookie: e.cookie + DOTDOT_COOKIE,
        attr: res.attrs[i],
      });
    }
    return { entries, eof: res.eof, dir: res.dir, withAttrs: true };
  }
  const res = await t.vfs.readdir(t.cred, t.id, vfsCookie, limit);
  for (const e of res.entries) {
    entries.push({ id: e.id, name: Buffer.from(e.name, 'utf8'), cookie: e.cookie + DOTDOT_COOKIE });
  }
  return { entries, eof: res.eof, dir: res.dir, withAttrs: false };
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');
