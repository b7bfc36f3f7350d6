import { FLAGS_ASYNC_COMMAND, HEADER_SIZE, SMB2_MAGIC } from './constants.js';
import { Smb2DecodeError } from './wire.js';

/** The SMB2 packet header (MS-SMB2 §2.2.1), sync or async form. */
export interface Smb2Header {
  creditCharge: number;
  /** Status in responses; ChannelSequence/Reserved in requests. */
  status: number;
  command: number;
  /** CreditRequest in requests, CreditResponse in responses. */
  credits: number;
  flags: number;
  nextCommand: number;
  messageId: bigint;
  /** AsyncId when FLAGS_ASYNC_COMMAND is set, else 0. */
  asyncId: bigint;
  treeId: number;
  sessionId: bigint;
  signature: Buffer;
}

/** Decode the header at `off` of `buf` (a whole frame; compounds hold several headers). */
export function decodeHeader(buf: Buffer, off: number): Smb2Header {
  if (off + HEADER_SIZE > buf.length) throw new Smb2DecodeError('short SMB2 header');
  if (buf.readUInt32LE(off) !== SMB2_MAGIC) throw new Smb2DecodeError('not an SMB2 header');
  // MS-SMB2 §3.3.5.2.6 (via §2.2.1.1): StructureSize MUST be 64.
  if (buf.readUInt16LE(off + 4) !== HEADER_SIZE) throw new Smb2DecodeError('bad header StructureSize');
  const flags = buf.readUInt32LE(off + 16);
  const async = (flags & FLAGS_ASYNC_COMMAND) !== 0;
  return {
    creditCharge: buf.readUInt16LE(off + 6),
    status: buf.readUInt32LE(off + 8),
    command: buf.readUInt16LE(off + 12),
    credits: buf.readUInt16LE(off + 14),
    flags,
    nextCommand: buf.readUInt32LE(off + 20),
    messageId: buf.readBigUInt64LE(off + 24),
    asyncId: async ? buf.readBigUInt64LE(off + 32) : 0n,
    treeId: async ? 0 : buf.readUInt32LE(off + 36),
    sessionId: buf.readBigUInt64LE(off + 40),
    signature: buf.subarray(off + 48, off + 64),
  };
}

/**
 * Write a response header into `out` at `off` (signature zero; signing fills
 * it later). With FLAGS_ASYNC_COMMAND set, `asyncId` takes the place of
 * Reserved and TreeId (MS-SMB2 §2.2.1.1, the ASYNC header).
 */
export function encodeHeader(
  out: Buffer,
  off: number,
  h: Omit<Smb2Header, 'signature' | 'asyncId'> & { asyncId?: bigint },
): void {
  out.writeUInt32LE(SMB2_MAGIC, off);
  out.writeUInt16LE(HEADER_SIZE, off + 4);
  out.writeUInt16LE(h.creditCharge, off + 6);
  out.writeUInt32LE(h.status >>> 0, off + 8);
  out.writeUInt16LE(h.command, off + 12);
  out.writeUInt16LE(h.credits, off + 14);
  out.writeUInt32LE(h.flags >>> 0, off + 16);
  out.writeUInt32LE(h.nextCommand >>> 0, off + 20);
  out.writeBigUInt64LE(h.messageId, off + 24);
  if ((h.flags & FLAGS_ASYNC_COMMAND) !== 0) {
    out.writeBigUInt64LE(h.asyncId ?? 0n, off + 32);
  } else {
    out.writeUInt32LE(0, off + 32);
    out.writeUInt32LE(h.treeId >>> 0, off + 36);
  }
  out.writeBigUInt64LE(h.sessionId, off + 40);
  out.fill(0, off + 48, off + 64);
}
