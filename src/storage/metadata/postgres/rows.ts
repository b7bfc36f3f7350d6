import type { FileType, Inode } from '../../../core/types.js';

/** Column list of `inodes` in the order {@link inodeValues} produces them (after `share`). */
export const INODE_COLUMNS = [
  'id',
  'generation',
  'type',
  'mode',
  'nlink',
  'uid',
  'gid',
  'size',
  'rdev_major',
  'rdev_minor',
  'atime_sec',
  'atime_nsec',
  'mtime_sec',
  'mtime_nsec',
  'ctime_sec',
  'ctime_nsec',
  'btime_sec',
  'btime_nsec',
  'change',
  'symlink',
  'content_id',
  'create_verf',
  'next_cookie',
  'parent',
] as const;

export type SqlValue = number | string | Buffer | null;

/** The row values of an inode, in {@link INODE_COLUMNS} order. */
export function inodeValues(i: Inode): SqlValue[] {
  return [
    i.id,
    i.generation,
    i.type,
    i.mode,
    i.nlink,
    i.uid,
    i.gid,
    i.size,
    i.rdev.major,
    i.rdev.minor,
    i.atime.sec,
    i.atime.nsec,
    i.mtime.sec,
    i.mtime.nsec,
    i.ctime.sec,
    i.ctime.nsec,
    i.btime.sec,
    i.btime.nsec,
    i.change,
    i.symlink ?? null,
    i.contentId ?? null,
    i.createVerf ?? null,
    i.nextCookie ?? null,
    i.parent ?? null,
  ];
}

/** A row of `inodes` as node-postgres returns it (bigints already numbers, see the store's type parser). */
export interface InodeRow {
  id: number;
  generation: number;
  type: string;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  rdev_major: number;
  rdev_minor: number;
  atime_sec: number;
  atime_nsec: number;
  mtime_sec: number;
  mtime_nsec: number;
  ctime_sec: number;
  ctime_nsec: number;
  btime_sec: number;
  btime_nsec: number;
  change: number;
  symlink: string | null;
  content_id: string | null;
  create_verf: string | null;
  next_cookie: number | null;
  parent: number | null;
}

/** A fresh Inode from a row: optional fields are absent (not undefined-valued) when NULL. */
export function rowToInode(r: InodeRow): Inode {
  const i: Inode = {
    id: r.id,
    generation: r.generation,
    type: r.type as FileType,
    mode: r.mode,
    nlink: r.nlink,
    uid: r.uid,
    gid: r.gid,
    size: r.size,
    rdev: { major: r.rdev_major, minor: r.rdev_minor },
    atime: { sec: r.atime_sec, nsec: r.atime_nsec },
    mtime: { sec: r.mtime_sec, nsec: r.mtime_nsec },
    ctime: { sec: r.ctime_sec, nsec: r.ctime_nsec },
    btime: { sec: r.btime_sec, nsec: r.btime_nsec },
    change: r.change,
  };
  if (r.symlink !== null) i.symlink = r.symlink;
  if (r.content_id !== null) i.contentId = r.content_id;
  if (r.create_verf !== null) i.createVerf = r.create_verf;
  if (r.next_cookie !== null) i.nextCookie = r.next_cookie;
  if (r.parent !== null) i.parent = r.parent;
  return i;
}
