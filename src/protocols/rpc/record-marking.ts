/**
 * RFC 5531 §11: record marking for stream transports. Each record is a
 * sequence of fragments; a fragment is a 4-byte big-endian header (high bit =
 * last fragment, low 31 bits = fragment length) followed by that many bytes.
 */

/** Default upper bound on one reassembled record: a 1 MiB WRITE plus headers fits easily. */
export const DEFAULT_MAX_RECORD_SIZE = 4 * 1024 * 1024;

const LAST_FRAGMENT = 0x80000000;
const LENGTH_MASK = 0x7fffffff;

/** A record (or a fragment chain) longer than the configured maximum: the stream must be closed. */
export class RecordTooLargeError extends Error {
  constructor(
    readonly claimed: number,
    readonly max: number,
  ) {
    super(`RPC record of ${claimed} bytes exceeds maximum ${max}`);
    this.name = 'RecordTooLargeError';
  }
}

/**
 * Streaming record-marking decoder. Feed it socket chunks with {@link push};
 * it calls `onRecord` once per complete record.
 *
 * Memory: bytes are held only as they arrive (no allocation of the claimed
 * length up front), and a fragment header that would take the record past
 * `maxRecordSize` throws {@link RecordTooLargeError} before any of its bytes
 * are kept. A record contained in one chunk is passed as a zero-copy slice;
 * one that spans chunks is concatenated once, when complete.
 */
export class RecordDecoder {
  /** Partial fragment header bytes (a header may straddle chunks). */
  private readonly header = Buffer.alloc(4);
  private headerHave = 0;
  /** Bytes still expected in the current fragment; -1 while reading a header. */
  private fragRemaining = -1;
  private fragIsLast = false;
  /** Pieces of the record being reassembled and their total length. */
  private pieces: Buffer[] = [];
  private recordLength = 0;
  private failed = false;

  constructor(
    private readonly onRecord: (record: Buffer) => void,
    readonly maxRecordSize = DEFAULT_MAX_RECORD_SIZE,
  ) {}

  /** Bytes of incomplete records currently held (for memory-bound checks). */
  get bufferedBytes(): number {
    return this.recordLength;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.fragRemaining < 0) {
        // Fast path: whole header inside this chunk.
        let word: number;
        if (this.headerHave === 0 && chunk.length - pos >= 4) {
          word = chunk.readUInt32BE(pos);
          pos += 4;
        } else {
          const take = Math.min(4 - this.headerHave, chunk.length - pos);
          chunk.copy(this.header, this.headerHave, pos, pos + take);
          this.headerHave += take;
          pos += take;
          if (this.headerHave < 4) return;
          this.headerHave = 0;
          word = this.header.readUInt32BE(0);
        }
        const fragLen = word & LENGTH_MASK;
        this.fragIsLast = (word & LAST_FRAGMENT) !== 0;
        // RFC 5531 §11 sets no bound; ours protects memory. Checked on the
        // header, so an oversized claim is refused before its bytes arrive.
        if (this.recordLength + fragLen > this.maxRecordSize) {
          this.failed = true;
          this.pieces = [];
          const claimed = this.recordLength + fragLen;
          this.recordLength = 0;
          throw new RecordTooLargeError(claimed, this.maxRecordSize);
        }
        this.fragRemaining = fragLen;
        if (fragLen === 0) this.endFragment();
        continue;
      }
      const take = Math.min(this.fragRemaining, chunk.length - pos);
      const piece = chunk.subarray(pos, pos + take);
      pos += take;
      this.fragRemaining -= take;
      if (this.fragRemaining === 0 && this.pieces.length === 0 && this.fragIsLast) {
        // Single-fragment record wholly inside this chunk: zero-copy.
        this.fragRemaining = -1;
        this.onRecord(piece);
        continue;
      }
      this.pieces.push(piece);
      this.recordLength += take;
      if (this.fragRemaining === 0) this.endFragment();
    }
  }

  private endFragment(): void {
    this.fragRemaining = -1;
    if (!this.fragIsLast) return;
    const record = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.recordLength);
    this.pieces = [];
    this.recordLength = 0;
    this.onRecord(record);
  }
}

/** The 4-byte mark for a record sent as one last fragment of `length` bytes. */
export function writeRecordMark(target: Buffer, offset: number, length: number): void {
  if (length > LENGTH_MASK) throw new RangeError(`RPC record of ${length} bytes cannot be framed in one fragment`);
  target.writeUInt32BE((LAST_FRAGMENT | length) >>> 0, offset);
}

/** Frame a message (given as buffers) as one record: a mark buffer followed by the buffers, uncopied. */
export function frameRecord(parts: readonly Buffer[]): Buffer[] {
  let length = 0;
  for (const p of parts) length += p.length;
  const mark = Buffer.allocUnsafe(4);
  writeRecordMark(mark, 0, length);
  return [mark, ...parts];
}
