import type { DirEntry, FileId, Inode } from '../../core/types.js';

/**
 * The metadata-store contract (DESIGN.md "Metadata store").
 *
 * Stores are dumb and transactional: they persist inodes, directory entries,
 * extended attributes and small named state records, and enforce no POSIX
 * rule. core/vfs does all checking. Every implementation must pass the
 * conformance suite in `conformance.ts`.
 *
 * Transactions: `update` runs its callback atomically (all writes commit, or
 * none if it throws) and isolated from other updates; `view` sees a
 * consistent committed snapshot. Callbacks may be retried by stores that
 * detect serialization conflicts, so they must not have side effects outside
 * the transaction.
 */
export interface MetadataStore {
  /** 'memory', 'lmdb', 'postgres', ... */
  readonly kind: string;
  /** Create the root directory and any schema on first use; idempotent. */
  open(init: { rootInode: Inode }): Promise<void>;
  view<T>(fn: (tx: MetadataReadTx) => Promise<T>): Promise<T>;
  update<T>(fn: (tx: MetadataWriteTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface MetadataReadTx {
  getInode(id: FileId): Promise<Inode | undefined>;
  /** The entry `name` in directory `dir`, if any. */
  lookup(dir: FileId, name: string): Promise<DirEntry | undefined>;
  /** Entries of `dir` with cookie > `afterCookie`, in ascending cookie order, at most `limit`. */
  readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]>;
  /** True when `dir` has at least one entry. */
  hasEntries(dir: FileId): Promise<boolean>;
  getXattr(id: FileId, name: string): Promise<Buffer | undefined>;
  listXattrs(id: FileId): Promise<string[]>;
  /** A small named record of server state (verifiers, lock state, ...). */
  getState(key: string): Promise<Buffer | undefined>;
  /** Number of inodes and sum of regular-file sizes, for FSSTAT. */
  usage(): Promise<{ inodes: number; bytes: number }>;
  /**
   * Every inode with id > `afterId`, in ascending id order, at most `limit`
   * (a full page does not mean more follow). For offline tools such as the
   * consistency checker; not used on request paths.
   */
  listInodes(afterId: FileId, limit: number): Promise<Inode[]>;
}

export interface MetadataWriteTx extends MetadataReadTx {
  /** A fresh inode id, never handed out before by this store. */
  allocateId(): Promise<FileId>;
  /** Insert or replace an inode. */
  putInode(inode: Inode): Promise<void>;
  /** Remove an inode and its extended attributes. */
  deleteInode(id: FileId): Promise<void>;
  /** Add `name` → `id` to `dir` with the given cookie; the name must not exist yet. */
  addEntry(dir: FileId, name: string, id: FileId, cookie: number): Promise<void>;
  /** Remove `name` from `dir`; it must exist. */
  removeEntry(dir: FileId, name: string): Promise<void>;
  setXattr(id: FileId, name: string, value: Buffer): Promise<void>;
  removeXattr(id: FileId, name: string): Promise<void>;
  putState(key: string, value: Buffer): Promise<void>;
  deleteState(key: string): Promise<void>;
}
