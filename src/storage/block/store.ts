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
