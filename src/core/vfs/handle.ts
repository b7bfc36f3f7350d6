import { FsError } from '../errors.js';
import type { FileId } from '../types.js';

/**
 * File handles (DESIGN.md "File handles"): opaque to clients, 20 bytes here,
 * well under NFSv3's 64-byte limit.
 *
 *   0      1      4          8                  16           20
 *   | ver | rsvd | shareId  | fileId (u64)     | generation |
 *
 * The generation makes a handle to a deleted file STALE even if its id were
 * ever reused; the version byte lets the layout change later.
 */
export const HANDLE_VERSION = 1;
export const HANDLE_SIZE = 20;

export interface HandleParts {
  shareId: number;
  id: FileId;
  generation: number;
}

export function encodeHandle(h: HandleParts): Buffer {
  const b = Buffer.alloc(HANDLE_SIZE);
  b.writeUInt8(HANDLE_VERSION, 0);
  b.writeUInt32BE(h.shareId >>> 0, 4);
  b.writeBigUInt64BE(BigInt(h.id), 8);
  b.writeUInt32BE(h.generation >>> 0, 16);
  return b;
}

/** Decode a client-supplied handle; anything malformed is BADHANDLE. */
export function decodeHandle(b: Buffer): HandleParts {
  if (b.length !== HANDLE_SIZE || b[0] !== HANDLE_VERSION) throw new FsError('BADHANDLE');
  const id = b.readBigUInt64BE(8);
  if (id === 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError('BADHANDLE');
  return { shareId: b.readUInt32BE(4), id: Number(id), generation: b.readUInt32BE(16) };
}
