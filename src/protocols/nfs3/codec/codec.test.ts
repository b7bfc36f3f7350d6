import { describe, expect, it } from 'vitest';
import type { Inode } from '../../../core/types.js';
import { XdrError } from '../../xdr/errors.js';
import { XdrReader } from '../../xdr/reader.js';
import { XdrWriter } from '../../xdr/writer.js';
import { readFh, readSattr3, readU64 } from './decode.js';
import { FATTR3_SIZE, writeFattr3, writePostOpAttr, writeU64, writeWccData } from './encode.js';

const inode: Inode = {
  id: 2 ** 40 + 7,
  generation: 3,
  type: 'chr',
  mode: 0o104755,
  nlink: 2,
  uid: 1000,
  gid: 100,
  size: 2 ** 33 + 5,
  rdev: { major: 4, minor: 64 },
  atime: { sec: 10, nsec: 1 },
  mtime: { sec: 20, nsec: 2 },
  ctime: { sec: 30, nsec: 999_999_999 },
  btime: { sec: 5, nsec: 0 },
  change: 9,
};

describe('fattr3 encoding (RFC 1813 §2.6)', () => {
  it('lays out every field in RFC order in exactly 84 bytes', () => {
    const w = new XdrWriter(16);
    writeFattr3(w, 12, inode);
    const b = w.toBuffer();
    expect(b.length).toBe(FATTR3_SIZE);
    const r = new XdrReader(b);
    expect(r.uint32()).toBe(4); // NF3CHR
    expect(r.uint32()).toBe(0o4755); // mode bits only, no type bits
    expect(r.uint32()).toBe(2);
    expect(r.uint32()).toBe(1000);
    expect(r.uint32()).toBe(100);
    expect(r.uint64()).toBe(BigInt(2 ** 33 + 5));
    expect(r.uint64()).toBe(BigInt(2 ** 33 + 5));
    expect([r.uint32(), r.uint32()]).toEqual([4, 64]);
    expect(r.uint64()).toBe(12n);
    expect(r.uint64()).toBe(BigInt(2 ** 40 + 7));
    expect([r.uint32(), r.uint32(), r.uint32(), r.uint32(), r.uint32(), r.uint32()]).toEqual([
      10, 1, 20, 2, 30, 999_999_999,
    ]);
    expect(r.remaining).toBe(0);
  });

  it('sends rdev 0,0 for non-device files', () => {
    const w = new XdrWriter();
    writeFattr3(w, 1, { ...inode, type: 'reg' });
    const r = new XdrReader(w.toBuffer());
    r.skip(4 * 5 + 16);
    expect([r.uint32(), r.uint32()]).toEqual([0, 0]);
  });

  it('writes post_op_attr and wcc_data discriminants', () => {
    const w = new XdrWriter();
    writePostOpAttr(w, 1, undefined);
    writeWccData(w, 1, { before: inode, after: inode });
    writeWccData(w, 1, undefined);
    const r = new XdrReader(w.toBuffer());
    expect(r.uint32()).toBe(0);
    expect(r.uint32()).toBe(1);
    expect(r.uint64()).toBe(BigInt(inode.size));
    expect([r.uint32(), r.uint32(), r.uint32(), r.uint32()]).toEqual([20, 2, 30, 999_999_999]);
    expect(r.uint32()).toBe(1);
    r.skip(FATTR3_SIZE);
    expect([r.uint32(), r.uint32()]).toEqual([0, 0]);
    expect(r.remaining).toBe(0);
  });
});

describe('argument decoding', () => {
  it('round-trips uint64 numbers up to 2^53 - 1', () => {
    const w = new XdrWriter();
    writeU64(w, Number.MAX_SAFE_INTEGER);
    expect(readU64(new XdrReader(w.toBuffer()))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('keeps uint64 values above 2^53 above MAX_SAFE_INTEGER', () => {
    const w = new XdrWriter().uint64(0xffff_ffff_ffff_ffffn);
    expect(readU64(new XdrReader(w.toBuffer()))).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });

  it('refuses a file handle longer than 64 bytes', () => {
    const w = new XdrWriter().opaque(Buffer.alloc(65));
    expect(() => readFh(new XdrReader(w.toBuffer()))).toThrow(XdrError);
  });

  it('decodes every sattr3 arm', () => {
    const w = new XdrWriter();
    w.uint32(1).uint32(0o100644); // mode with type bits: masked to permissions
    w.uint32(1).uint32(7);
    w.uint32(0);
    w.uint32(1).uint64(4096);
    w.uint32(1); // atime: server time
    w.uint32(2).uint32(100).uint32(5); // mtime: client time
    expect(readSattr3(new XdrReader(w.toBuffer()))).toEqual({
      mode: 0o644,
      uid: 7,
      size: 4096,
      atime: 'server',
      mtime: { sec: 100, nsec: 5 },
    });
  });

  it('refuses an unknown time_how as garbage', () => {
    const w = new XdrWriter().uint32(0).uint32(0).uint32(0).uint32(0).uint32(3);
    expect(() => readSattr3(new XdrReader(w.toBuffer()))).toThrow(XdrError);
  });
});
