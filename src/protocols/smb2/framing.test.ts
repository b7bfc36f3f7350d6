import { describe, expect, it } from 'vitest';
import { FrameDecoder, frameHeader } from './framing.js';
import { Smb2DecodeError } from './wire.js';

const framed = (payload: Buffer) => Buffer.concat([frameHeader(payload.length), payload]);

describe('Direct TCP framing (MS-SMB2 §2.1)', () => {
  it('reassembles frames split at any byte and several frames in one chunk', () => {
    const a = Buffer.from('first message');
    const b = Buffer.alloc(5000, 7);
    const stream = Buffer.concat([framed(a), framed(b), framed(a)]);
    for (const step of [1, 3, 17, 4096]) {
      const d = new FrameDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) out.push(...d.push(stream.subarray(i, i + step)));
      expect(out.map((f) => f.length)).toEqual([a.length, b.length, a.length]);
      expect(out[1].equals(b)).toBe(true);
    }
  });

  it('refuses a frame above the limit before buffering it, and a non-zero first byte', () => {
    expect(() => new FrameDecoder(1024).push(Buffer.from([0, 0, 8, 0]))).toThrow(Smb2DecodeError);
    expect(() => new FrameDecoder(1024).push(Buffer.from([1, 0, 0, 4]))).toThrow(Smb2DecodeError);
  });
});
