import { open, type Database, type RootDatabase } from 'lmdb';
import type { FileId, Inode } from '../../../core/types.js';

/**
 * The on-disk layout of the embedded metadata store: one LMDB environment
 * (a directory holding `data.mdb` and `lock.mdb`) with these named databases.
 * Keys are lmdb-js "ordered-binary" arrays, which sort element by element
 * (numbers numerically, strings by UTF-8 bytes, a shorter prefix first), so
 * every per-directory or per-inode listing is one ordered range read.
 *
 * - inodes:  id                      → Inode (msgpack records with shared structures: the field
 *                                     names live once, under the structures key, not in each record)
 * - entries: [dir, name]            → [id, cookie]            (lookup by name)
 * - cookies: [dir, cookie, name]    → id                      (readdir by cookie)
 * - xattrs:  [id, name]             → raw bytes
 * - state:   key                    → raw bytes
 * - meta:    'schema' | 'nextId' | 'inodes' | 'bytes' → number
 *
 * The cookie index carries the name as its last key element so that two
 * entries with the same cookie (never produced by the VFS, but legal for the
 * store contract) do not overwrite each other.
 */
export const SCHEMA_VERSION = 2;

/**
 * Schema 2 stores inodes as msgpackr records whose structures (field name
 * lists) are shared and kept in the inodes database under this key: a record
 * is a slot number plus values, about 40% of a self-describing map, and
 * decodes several times faster. lmdb-js stores it outside the numeric key
 * range, so range reads over ids never see it.
 */
const INODE_STRUCTURES_KEY = Symbol.for('structures');

export type EntryValue = [id: FileId, cookie: number];
export type EntryKey = [dir: FileId, name: string];
export type CookieKey = [dir: FileId, cookie: number, name: string];
export type XattrKey = [id: FileId, name: string];
export type MetaKey = 'schema' | 'nextId' | 'inodes' | 'bytes';

export interface LmdbDbs {
  readonly env: RootDatabase;
  readonly inodes: Database<Inode, FileId>;
  readonly entries: Database<EntryValue, EntryKey>;
  readonly cookies: Database<FileId, CookieKey>;
  readonly xattrs: Database<Buffer, XattrKey>;
  readonly state: Database<Buffer, string>;
  readonly meta: Database<number, MetaKey>;
}

export function openDbs(path: string, noSync: boolean): LmdbDbs {
  const env = open({ path, maxDbs: 8, noSync, compression: false });
  return {
    env,
    inodes: env.openDB<Inode, FileId>('inodes', { sharedStructuresKey: INODE_STRUCTURES_KEY }),
    entries: env.openDB<EntryValue, EntryKey>('entries', {}),
    cookies: env.openDB<FileId, CookieKey>('cookies', {}),
    xattrs: env.openDB<Buffer, XattrKey>('xattrs', { encoding: 'binary' }),
    state: env.openDB<Buffer, string>('state', { encoding: 'binary' }),
    meta: env.openDB<number, MetaKey>('meta', {}),
  };
}

/**
 * LMDB keys are at most 1978 bytes. Names longer than this (far beyond any
 * protocol's limit: NFS and SMB allow 255 characters) are refused up front
 * rather than failing the commit.
 */
export const MAX_KEY_NAME_BYTES = 1024;

/** Range bounds covering every key whose first element is `id` (ids are integers). */
export function prefixRange(id: number): { start: [number]; end: [number] } {
  return { start: [id], end: [id + 1] };
}

/** Copy an inode so callers never share objects with stored or pending state. */
export function cloneInode(i: Inode): Inode {
  return {
    ...i,
    rdev: { major: i.rdev.major, minor: i.rdev.minor },
    atime: { sec: i.atime.sec, nsec: i.atime.nsec },
    mtime: { sec: i.mtime.sec, nsec: i.mtime.nsec },
    ctime: { sec: i.ctime.sec, nsec: i.ctime.nsec },
    btime: { sec: i.btime.sec, nsec: i.btime.nsec },
  };
}

/** What an inode contributes to `usage().bytes` (regular files only, as FSSTAT counts them). */
export function regBytes(i: Inode | undefined): number {
  return i !== undefined && i.type === 'reg' ? i.size : 0;
}
