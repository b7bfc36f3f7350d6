/** Shared value types of the core: inodes, attributes, credentials. */

export type FileType = 'reg' | 'dir' | 'lnk' | 'blk' | 'chr' | 'sock' | 'fifo';

/** A point in time with nanosecond precision (seconds since the Unix epoch). */
export interface Timespec {
  sec: number;
  nsec: number;
}

/**
 * Inode numbers. Plain numbers (safe up to 2^53) rather than bigint: they are
 * Map keys on every request. The root of every share is {@link ROOT_ID}.
 */
export type FileId = number;
export const ROOT_ID: FileId = 1;

/**
 * An inode as stored by a metadata store (DESIGN.md "Metadata store").
 * Stores persist it verbatim; all POSIX rules are applied by core/vfs.
 */
export interface Inode {
  id: FileId;
  /** Bumped when an id is reused, so stale handles never reach a new file. */
  generation: number;
  type: FileType;
  /** Permission bits including setuid/setgid/sticky (mask 0o7777). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  /** Device numbers for 'blk' and 'chr'. */
  rdev: { major: number; minor: number };
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  btime: Timespec;
  /** Incremented on every change to data or metadata (NFSv4 change attribute). */
  change: number;
  /** Symlink target (raw bytes as a string) for 'lnk'. */
  symlink?: string;
  /** Key of the file's content in the block store; absent until first written. */
  contentId?: string;
  /** The verifier of an NFSv3 EXCLUSIVE create, kept until the first SETATTR (RFC 1813 §3.3.8). */
  createVerf?: string;
  /** For directories: the cookie the next entry will get (cookies are never reused). */
  nextCookie?: number;
  /** For directories: the parent's id ('..'); the root is its own parent. */
  parent?: FileId;
}

/** Who is calling, after squashing (AUTH_SYS or a mapped identity). */
export interface Credentials {
  uid: number;
  gid: number;
  /** Supplementary groups. */
  gids: readonly number[];
}

/** One directory entry as returned by a listing; `cookie` is stable for the entry's lifetime. */
export interface DirEntry {
  name: string;
  id: FileId;
  cookie: number;
}

/** Figures for FSSTAT / statfs. */
export interface FsStats {
  totalBytes: number;
  freeBytes: number;
  availBytes: number;
  totalFiles: number;
  freeFiles: number;
  availFiles: number;
}
