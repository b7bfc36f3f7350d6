import { XdrError } from './errors.js';

/**
 * Bounds-checked XDR decoder (RFC 4506) over one Buffer.
 *
 * Every read checks the remaining length first and throws {@link XdrError}
 * instead of reading past the end. Variable-length items take a maximum so a
 * hostile length field cannot make the server allocate or loop without bound.
 * Opaque data is returned as a zero-copy slice of the input.
 */
export class XdrReader {
  private pos: number;
  private readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new XdrError(`short XDR input: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** RFC 4506 §4.4: a bool is an enum whose only legal values are 0 and 1. */
  bool(): boolean {
    const v = this.uint32();
    if (v > 1) throw new XdrError(`invalid XDR bool ${v}`);
    return v === 1;
  }

  /** Fixed-length opaque (RFC 4506 §4.9); returns a zero-copy slice. */
  fixedOpaque(len: number): Buffer {
    // Check before padding: `(len + 3) & ~3` wraps to a small number for len
    // near 2^32 (32-bit bitwise ops), which would skip the bounds check.
    if (!(len >= 0 && len <= this.end - this.pos)) {
      throw new XdrError(`short XDR input: opaque of ${len} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
    const padded = (len + 3) & ~3;
    this.need(padded);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += padded;
    return out;
  }

  /** Variable-length opaque (RFC 4506 §4.10) of at most `max` bytes; zero-copy. */
  opaque(max: number): Buffer {
    const len = this.uint32();
    if (len > max) throw new XdrError(`XDR opaque of ${len} bytes exceeds limit ${max}`);
    return this.fixedOpaque(len);
  }

  /** String (RFC 4506 §4.11) decoded as UTF-8; at most `max` bytes. */
  string(max: number): string {
    return this.opaque(max).toString('utf8');
  }

  /** Optional-data (RFC 4506 §4.19): a bool discriminant then the item. */
  optional<T>(item: () => T): T | undefined {
    return this.bool() ? item() : undefined;
  }

  /** Variable-length array (RFC 4506 §4.13) of at most `max` items. */
  array<T>(max: number, item: () => T): T[] {
    const n = this.uint32();
    if (n > max) throw new XdrError(`XDR array of ${n} items exceeds limit ${max}`);
    // Each item takes at least 4 bytes: refuse counts the input cannot hold.
    if (n * 4 > this.remaining) throw new XdrError(`XDR array of ${n} items longer than input`);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = item();
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Bytes from `from` to the current position (raw argument access, e.g. for GSS checksums). */
  sliceFrom(from: number): Buffer {
    return this.buf.subarray(from, this.pos);
  }

  /** The undecoded tail of the input, zero-copy. */
  rest(): Buffer {
    return this.buf.subarray(this.pos, this.end);
  }
}
