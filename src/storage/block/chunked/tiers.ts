/**
 * The two tiers behind the chunked block store. Chunks are immutable and
 * named by the SHA-256 of their content (64 lowercase hex digits), so a tier
 * never sees an update in place: a chunk is put once, read many times and
 * deleted when the garbage collector finds nothing refers to it.
 */

/** Local tier: memory or a directory. Holds dirty-then-flushed chunks and a warm copy of remote ones. */
export interface LocalChunkTier {
  readonly kind: string;
  open(): Promise<void>;
  /**
   * Store a chunk. With `durable`, the chunk (and its name) is on stable
   * storage when this resolves; without, it may still sit in a page cache.
   */
  put(hash: string, data: Buffer, durable: boolean): Promise<void>;
  /** The chunk, or undefined when this tier does not hold it. */
  get(hash: string): Promise<Buffer | undefined>;
  /** Remove a chunk; removing an absent chunk is not an error. */
  delete(hash: string): Promise<void>;
  /** Every chunk held (used at open to drop chunks a crash left unreferenced). */
  list(): Promise<string[]>;
  close(): Promise<void>;
}

/** Remote tier: an object store (S3) or memory. A chunk is one object. */
export interface RemoteChunkStore {
  readonly kind: string;
  put(hash: string, data: Buffer): Promise<void>;
  /** The chunk, or undefined when the object does not exist. Any other failure throws. */
  get(hash: string): Promise<Buffer | undefined>;
  /** Delete an object; deleting an absent object is not an error. */
  delete(hash: string): Promise<void>;
  /** Every chunk stored (tests and tools; may be slow on large buckets). */
  list(): Promise<string[]>;
  close(): Promise<void>;
}

const HASH = /^[0-9a-f]{64}$/;

/** Chunk names come from our own hashing, but a tier is a trust boundary for paths and keys: check anyway. */
export function checkHash(hash: string): void {
  if (!HASH.test(hash)) throw new Error(`not a chunk hash: ${JSON.stringify(hash)}`);
}

/** `ab/abcdef...`: two hex digits of fan-out keep directories and key listings small. */
export function chunkRelPath(hash: string): string {
  checkHash(hash);
  return `${hash.slice(0, 2)}/${hash}`;
}
