/**
 * Duplicate request cache for non-idempotent procedures (the technique of
 * Juszczak, "Improving the Performance and Correctness of an NFS Server",
 * used by every NFS server since). A client retransmits a call when a reply
 * is lost; re-running a CREATE or REMOVE would turn success into EEXIST or
 * NOENT, so the first reply is kept and resent instead.
 *
 * The key leaves out the client's port: a Linux client that reconnects after
 * a lost connection resends from a new source port. The argument checksum
 * guards against a client reusing an xid for a different request.
 */

/** Bytes of arguments hashed into the key (like Linux nfsd's RC_CSUMLEN). */
const CHECKSUM_BYTES = 256;
/** Replies larger than this are not kept (non-idempotent replies are small). */
const MAX_CACHED_REPLY = 64 * 1024;

export const DEFAULT_DRC_ENTRIES = 1024;

export interface DrcKeyParts {
  address: string;
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  args: Buffer;
}

type Entry = { state: 'in-progress' } | { state: 'done'; reply: Buffer };

/** What to do with an incoming non-idempotent call. */
export type DrcLookup = { kind: 'new'; key: string } | { kind: 'in-progress' } | { kind: 'replay'; reply: Buffer };

/** FNV-1a over the first CHECKSUM_BYTES bytes, mixed with the length. */
export function argsChecksum(args: Buffer): number {
  let h = 0x811c9dc5 ^ args.length;
  const n = Math.min(args.length, CHECKSUM_BYTES);
  for (let i = 0; i < n; i++) {
    h ^= args[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class DuplicateRequestCache {
  /** Map iteration order is insertion order: the first key is least recently used. */
  private readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries = DEFAULT_DRC_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  /** Look a call up; a new call is recorded as in progress. */
  begin(parts: DrcKeyParts): DrcLookup {
    const key = `${parts.address}|${parts.xid}|${parts.prog}|${parts.vers}|${parts.proc}|${argsChecksum(parts.args)}`;
    const found = this.entries.get(key);
    if (found) {
      // Refresh LRU position.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.state === 'done' ? { kind: 'replay', reply: found.reply } : { kind: 'in-progress' };
    }
    if (this.maxEntries <= 0) return { kind: 'new', key };
    this.entries.set(key, { state: 'in-progress' });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return { kind: 'new', key };
  }

  /** Record the reply of a call begun with {@link begin}; `reply` must not be mutated afterwards. */
  complete(key: string, reply: Buffer): void {
    if (!this.entries.has(key)) return;
    if (reply.length > MAX_CACHED_REPLY) {
      this.entries.delete(key);
      return;
    }
    this.entries.set(key, { state: 'done', reply });
  }

  /** Forget a call that produced no reply (dropped), so a retransmission runs it. */
  abandon(key: string): void {
    this.entries.delete(key);
  }
}
