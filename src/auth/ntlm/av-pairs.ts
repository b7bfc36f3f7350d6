import { AvId } from './constants.js';

/** One MS-NLMP §2.2.2.1 AV_PAIR. */
export type AvPair = readonly [id: number, value: Buffer];

/**
 * Parses an AV_PAIR list (MS-NLMP §2.2.2.1) up to MsvAvEOL. Returns
 * undefined when a pair runs past the buffer or the list has no EOL.
 * Bytes after EOL are ignored (clients pad the NTLMv2 blob with zeros).
 */
export function parseAvPairs(data: Buffer): AvPair[] | undefined {
  const pairs: AvPair[] = [];
  let off = 0;
  while (off + 4 <= data.length) {
    const id = data.readUInt16LE(off);
    const len = data.readUInt16LE(off + 2);
    off += 4;
    if (len > data.length - off) return undefined;
    if (id === AvId.EOL) return pairs;
    pairs.push([id, data.subarray(off, off + len)]);
    off += len;
  }
  return undefined;
}

/** The first pair with `id`, if any. */
export function findAvPair(pairs: readonly AvPair[], id: number): Buffer | undefined {
  for (const [pid, value] of pairs) if (pid === id) return value;
  return undefined;
}

/** Encodes pairs followed by MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  let size = 4;
  for (const [, value] of pairs) size += 4 + value.length;
  const out = Buffer.alloc(size);
  let off = 0;
  for (const [id, value] of pairs) {
    out.writeUInt16LE(id, off);
    out.writeUInt16LE(value.length, off + 2);
    value.copy(out, off + 4);
    off += 4 + value.length;
  }
  return out;
}

/** MS-NLMP §2.2.2.1 MsvAvTimestamp: a FILETIME (100 ns ticks since 1601-01-01), little-endian. */
export function fileTime(ms: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE((BigInt(Math.floor(ms)) + 11_644_473_600_000n) * 10_000n);
  return out;
}
