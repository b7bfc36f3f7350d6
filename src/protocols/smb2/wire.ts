/**
 * Little-endian byte access for SMB2 (MS-SMB2 §2.2: "all fields are little
 * endian"). Every read is bounds-checked and throws {@link Smb2DecodeError},
 * which the dispatcher turns into STATUS_INVALID_PARAMETER.
 */

export class Smb2DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Smb2DecodeError';
  }
}

/** A bounds-checked cursor over one message (or one command's bytes). */
export class SmbReader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new Smb2DecodeError(`short buffer: need ${n} at ${this.pos} of ${this.buf.length}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A 64-bit field that must fit a JS number exactly (offsets, sizes); larger is malformed. */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Smb2DecodeError('64-bit value out of range');
    return Number(v);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A zero-copy slice of the next `n` bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/**
 * The `length` bytes at `offset` of `msg` (offsets in SMB2 bodies count from
 * the start of the SMB2 header, MS-SMB2 §2.2). Length 0 gives an empty
 * buffer whatever the offset; anything outside the message is malformed.
 */
export function sliceAt(msg: Buffer, offset: number, length: number): Buffer {
  if (length === 0) return msg.subarray(0, 0);
  if (offset < 0 || length < 0 || offset + length > msg.length) {
    throw new Smb2DecodeError(`buffer [${offset}, +${length}) outside message of ${msg.length}`);
  }
  return msg.subarray(offset, offset + length);
}

/** UTF-16LE text of a wire buffer; odd lengths are malformed (MS-SMB2 names are UTF-16). */
export function utf16(buf: Buffer): string {
  if (buf.length % 2 !== 0) throw new Smb2DecodeError('odd UTF-16 length');
  return buf.toString('utf16le');
}

/** Round up to a multiple of 8 (compound chaining and directory entries are 8-byte aligned). */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * A growable little-endian writer for response bodies. Responses are small
 * except READ payloads, which are appended as separate buffers by the caller.
 */
export class SmbWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.alloc(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: bigint | number): this {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), this.pos);
    this.pos += 8;
    return this;
  }

  bytes(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Pad with zeros to a multiple of 8 counted from `base`. */
  pad8(base = 0): this {
    return this.zeros(align8(this.pos - base) - (this.pos - base));
  }

  /** Overwrite a u32 at an earlier position (offsets and lengths known only later). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16LE(v & 0xffff, at);
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
