/**
 * The block-store contract (DESIGN.md "Block store"): per-file content keyed
 * by a content id chosen by the VFS. Offsets and lengths are byte counts below
 * 2^53. Every implementation must pass the conformance suite in
 * `conformance.ts`.
 */
export interface BlockStore {
  /** 'memory', 'fs', ... */
  readonly kind: string;
  open(): Promise<void>;
  /** Write `data` at `offset`, extending the content with a hole if needed. */
  write(contentId: string, offset: number, data: Buffer): Promise<void>;
  /**
   * Read up to `length` bytes at `offset`. Holes and bytes never written read
   * as zeros; the result is exactly `length` bytes (the VFS clamps to the
   * file size, which the metadata store owns).
   */
  read(contentId: string, offset: number, length: number): Promise<Buffer>;
  /** Drop content beyond `size` (growing is implicit: unwritten bytes read as zeros). */
  truncate(contentId: string, size: number): Promise<void>;
  /** Forget the content entirely. Deleting an unknown id is not an error. */
  delete(contentId: string): Promise<void>;
  /** Durability barrier: when it resolves, everything written to `contentId` is stable. */
  commit(contentId: string): Promise<void>;
  /**
   * Every content id that holds data, in no particular order (optional: for
   * offline tools such as the consistency checker, which finds content no
   * inode references). Content written or deleted during the iteration may
   * or may not be listed.
   */
  listContent?(): AsyncIterable<string>;
  /**
   * Copy-on-write clone (NFSv4.2 CLONE): `dst`'s content becomes `src`'s,
   * sharing storage until either is written. Optional: stores without it
   * leave the copy to the caller.
   */
  clone?(src: string, dst: string): Promise<void>;
  /**
   * Deallocate [offset, offset+length): the range reads as zeros afterwards
   * and whole blocks in it take no space (NFSv4.2 DEALLOCATE, fallocate
   * PUNCH_HOLE). Does not change the content's length. Optional.
   */
  punchHole?(contentId: string, offset: number, length: number): Promise<void>;
  /**
   * Check the store's own bookkeeping (e.g. a chunk index's reference
   * counts against its chunk map) and, with `repair`, fix what can be fixed.
   * Optional: for offline tools (`dfs fsck`); call it on a store nothing
   * else uses. Returns what was found (with `repair` set on what was fixed).
   */
  checkIntegrity?(opts: { repair: boolean }): Promise<BlockStoreIssue[]>;
  /** Bytes of storage in use (for FSSTAT). */
  usedBytes(): Promise<number>;
  close(): Promise<void>;
}

/**
 * When a store's commit resolves (DESIGN.md "Block store"): 'writeback' once
 * the data is buffered in memory, 'local-durable' once it is on local stable
 * storage, 'remote' once it is in the object store.
 */
export type DurabilityMode = 'writeback' | 'local-durable' | 'remote';

export const DURABILITY_MODES: readonly DurabilityMode[] = ['writeback', 'local-durable', 'remote'];

/** One inconsistency a block store found in its own bookkeeping ({@link BlockStore.checkIntegrity}). */
export interface BlockStoreIssue {
  /** Store-specific, stable: e.g. 'chunk-refcount-low'. */
  kind: string;
  /** 'error': data could be lost or misread; 'warning': space only. */
  severity: 'error' | 'warning';
  message: string;
  /** What the issue is about (a chunk hash, a content id): the same on a second check. */
  subject: string;
  /** After a repair: what was done. */
  repair?: string;
}
