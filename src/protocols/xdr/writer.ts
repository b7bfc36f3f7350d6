/**
 * Growable XDR encoder (RFC 4506). One writer can be reset and reused across
 * replies to avoid per-request allocation; large payloads (READ data) can be
 * appended as separate chunks without copying via {@link XdrWriter.appendChunk}.
 */
export class XdrWriter {
  private buf: Buffer;
  private pos = 0;
  /** Finished segments followed by the current buffer; used only when chunks are appended. */
  private chunks: Buffer[] = [];

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    let n = this.pos;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Math.max: a writer created with initial = 0 would otherwise never grow.
    let size = Math.max(this.buf.length * 2, 64);
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  uint64(v: bigint | number): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v)), this.pos);
    this.pos += 8;
    return this;
  }

  int64(v: bigint | number): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, BigInt(v)), this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  /** Fixed-length opaque: bytes then zero padding to a multiple of 4. */
  fixedOpaque(data: Uint8Array): this {
    const padded = (data.length + 3) & ~3;
    this.ensure(padded);
    this.buf.set(data, this.pos);
    this.buf.fill(0, this.pos + data.length, this.pos + padded);
    this.pos += padded;
    return this;
  }

  opaque(data: Uint8Array): this {
    this.uint32(data.length);
    return this.fixedOpaque(data);
  }

  string(s: string): this {
    return this.opaque(Buffer.from(s, 'utf8'));
  }

  optional<T>(v: T | undefined | null, item: (v: T) => void): this {
    if (v === undefined || v === null) return this.uint32(0);
    this.uint32(1);
    item(v);
    return this;
  }

  array<T>(items: readonly T[], item: (v: T) => void): this {
    this.uint32(items.length);
    for (const v of items) item(v);
    return this;
  }

  /**
   * Variable-length opaque whose bytes are not copied: the length is written
   * inline, `data` is kept by reference as its own chunk, padding follows.
   * Use for large READ payloads.
   */
  appendOpaqueZeroCopy(data: Buffer): this {
    this.uint32(data.length);
    if (data.length < 512) return this.fixedOpaque(data);
    this.chunks.push(Buffer.from(this.buf.subarray(0, this.pos)), data);
    this.pos = 0;
    const pad = (4 - (data.length & 3)) & 3;
    if (pad) {
      this.ensure(pad);
      this.buf.fill(0, 0, pad);
      this.pos = pad;
    }
    return this;
  }

  /** Bytes allocated for the inline buffer (lets a pool drop writers that grew large). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Current write position (only meaningful when no zero-copy chunk has been appended). */
  get offset(): number {
    return this.pos;
  }

  /** Overwrite a uint32 at an earlier position (e.g. a count known only at the end). */
  patchUint32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** The encoded bytes as a list of buffers (zero-copy chunks kept apart). */
  toBuffers(): Buffer[] {
    const tail = this.buf.subarray(0, this.pos);
    return this.chunks.length ? [...this.chunks, tail] : [tail];
  }

  /** The encoded bytes as one Buffer (copies). */
  toBuffer(): Buffer {
    return Buffer.from(Buffer.concat(this.toBuffers()));
  }

  reset(): this {
    this.pos = 0;
    this.chunks = [];
    return this;
  }
}
