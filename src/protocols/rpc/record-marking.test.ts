import { describe, expect, it } from 'vitest';
import { RecordDecoder, RecordTooLargeError, frameRecord, writeRecordMark } from './record-marking.js';

function fragment(data: Buffer, last: boolean): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(((last ? 0x80000000 : 0) | data.length) >>> 0);
  return Buffer.concat([h, data]);
}

function collect(max?: number): { records: Buffer[]; decoder: RecordDecoder } {
  const records: Buffer[] = [];
  const decoder = new RecordDecoder((r) => records.push(Buffer.from(r)), max);
  return { records, decoder };
}

describe('record marking (RFC 5531 §11)', () => {
  it('decodes a single-fragment record as a zero-copy slice of the chunk', () => {
    const slices: Buffer[] = [];
    const d = new RecordDecoder((r) => slices.push(r));
    const chunk = fragment(Buffer.from('hello world!'), true);
    d.push(chunk);
    expect(slices).toHaveLength(1);
    expect(slices[0].toString()).toBe('hello world!');
    expect(slices[0].buffer).toBe(chunk.buffer);
  });

  it('reassembles a multi-fragment record', () => {
    const { records, decoder } = collect();
    decoder.push(
      Buffer.concat([
        fragment(Buffer.from('abc'), false),
        fragment(Buffer.from('defg'), false),
        fragment(Buffer.from('h'), true),
      ]),
    );
    expect(records.map((r) => r.toString())).toEqual(['abcdefgh']);
  });

  it('reassembles records split at every possible chunk boundary, including inside headers', () => {
    const stream = Buffer.concat([
      fragment(Buffer.from('first'), true),
      fragment(Buffer.from('sec'), false),
      fragment(Buffer.alloc(0), false),
      fragment(Buffer.from('ond'), true),
      fragment(Buffer.from('third record'), true),
    ]);
    for (let cut1 = 0; cut1 <= stream.length; cut1++) {
      for (let cut2 = cut1; cut2 <= stream.length; cut2 += 3) {
        const { records, decoder } = collect();
        decoder.push(stream.subarray(0, cut1));
        decoder.push(stream.subarray(cut1, cut2));
        decoder.push(stream.subarray(cut2));
        expect(records.map((r) => r.toString())).toEqual(['first', 'second', 'third record']);
      }
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const { records, decoder } = collect();
    const stream = Buffer.concat([fragment(Buffer.from('x'.repeat(100)), false), fragment(Buffer.from('yz'), true)]);
    for (const b of stream) decoder.push(Buffer.from([b]));
    expect(records).toHaveLength(1);
    expect(records[0].toString()).toBe('x'.repeat(100) + 'yz');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('delivers an empty record for a zero-length last fragment', () => {
    const { records, decoder } = collect();
    decoder.push(fragment(Buffer.alloc(0), true));
    expect(records).toHaveLength(1);
    expect(records[0].length).toBe(0);
  });

  it('refuses a record mark claiming more than the maximum before any body arrives', () => {
    const { records, decoder } = collect(1024);
    const h = Buffer.alloc(4);
    h.writeUInt32BE(0xffffffff);
    expect(() => decoder.push(h)).toThrow(RecordTooLargeError);
    expect(decoder.bufferedBytes).toBe(0);
    expect(records).toHaveLength(0);
  });

  it('accepts a record of exactly the maximum size', () => {
    const { records, decoder } = collect(1024);
    decoder.push(fragment(Buffer.alloc(1024, 7), true));
    expect(records[0].length).toBe(1024);
  });

  it('cuts off a fragment chain whose total exceeds the maximum', () => {
    const { records, decoder } = collect(1000);
    let thrown: unknown;
    let pushed = 0;
    try {
      for (let i = 0; i < 100; i++) {
        decoder.push(fragment(Buffer.alloc(100), false));
        pushed++;
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(1000);
      }
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RecordTooLargeError);
    expect(pushed).toBe(10);
    expect(records).toHaveLength(0);
    expect(decoder.bufferedBytes).toBe(0);
    // Once failed, the decoder ignores further input (the stream cannot resynchronise).
    decoder.push(fragment(Buffer.from('late'), true));
    expect(records).toHaveLength(0);
  });

  it('frames a message from several buffers as one last fragment without copying them', () => {
    const big = Buffer.alloc(5000, 1);
    const parts = [Buffer.from('head'), big, Buffer.from('tail')];
    const framed = frameRecord(parts);
    expect(framed).toHaveLength(4);
    expect(framed[2]).toBe(big);
    expect(framed[0].readUInt32BE(0)).toBe((0x80000000 | 5008) >>> 0);
    const { records, decoder } = collect();
    decoder.push(Buffer.concat(framed));
    expect(Buffer.compare(records[0], Buffer.concat(parts))).toBe(0);
  });

  it('refuses to frame a record longer than 2^31 - 1 bytes in one fragment', () => {
    expect(() => writeRecordMark(Buffer.alloc(4), 0, 0x80000000)).toThrow(RangeError);
  });
});
