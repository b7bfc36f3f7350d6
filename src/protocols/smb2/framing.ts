import { Smb2DecodeError } from './wire.js';

/** Largest frame accepted by default: 8 MiB of payload plus headers (MaxWrite is 8 MiB). */
export const DEFAULT_MAX_FRAME = 8 * 1024 * 1024 + 64 * 1024;

/**
 * Direct TCP transport (MS-SMB2 §2.1): each message is preceded by a 4-byte
 * header, a zero byte and a 24-bit big-endian length. Bytes are gathered
 * without copying until a frame is complete; a frame above `maxFrame` (or a
 * non-zero first byte) is a protocol violation and the caller closes the
 * connection, so a client can never make us buffer more than one bounded frame.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrame = DEFAULT_MAX_FRAME) {}

  /** Feed bytes; returns the frames completed by them. Throws Smb2DecodeError on a bad length header. */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      if (head[0] !== 0) throw new Smb2DecodeError('Direct TCP header: first byte must be zero');
      const len = (head[1] << 16) | (head[2] << 8) | head[3];
      if (len > this.maxFrame) throw new Smb2DecodeError(`frame of ${len} bytes exceeds ${this.maxFrame}`);
      if (this.buffered < 4 + len) break;
      this.consume(4);
      frames.push(this.consume(len));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length, n - copied);
      c.copy(out, copied, 0, take);
      copied += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }
}

/** The 4-byte Direct TCP header for a message of `length` bytes. */
export function frameHeader(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length & 0xffffff, 0);
  return h;
}
