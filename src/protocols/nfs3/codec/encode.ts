import type { FileType, Inode, Timespec } from '../../../core/types.js';
import type { WccResult } from '../../../core/vfs/api.js';
import type { XdrWriter } from '../../xdr/writer.js';
import { Ftype3 } from '../constants.js';

/*
 * Encoders for the RFC 1813 §2.6 result types. All numbers are written as
 * uint32 pairs: no BigInt on the hot path (every reply carries a fattr3).
 */

const TWO_32 = 0x1_0000_0000;

const FTYPE: Readonly<Record<FileType, Ftype3>> = {
  reg: Ftype3.REG,
  dir: Ftype3.DIR,
  blk: Ftype3.BLK,
  chr: Ftype3.CHR,
  lnk: Ftype3.LNK,
  sock: Ftype3.SOCK,
  fifo: Ftype3.FIFO,
};

/** A non-negative integer below 2^53 as an XDR uint64. */
export function writeU64(w: XdrWriter, n: number): void {
  w.uint32(Math.floor(n / TWO_32));
  w.uint32(n >>> 0);
}

/** RFC 1813 §2.5 nfstime3 (seconds are unsigned on the wire: pre-1970 times wrap). */
export function writeNfstime(w: XdrWriter, t: Timespec): void {
  w.uint32(t.sec >>> 0);
  w.uint32(t.nsec >>> 0);
}

/**
 * RFC 1813 §2.6 fattr3 (84 bytes). `fsid` is the share id, so files of
 * different shares never look like one file system to the client.
 * `used` reports the logical size: stores do not expose allocation.
 */
export function writeFattr3(w: XdrWriter, fsid: number, a: Inode): void {
  w.uint32(FTYPE[a.type]);
  w.uint32(a.mode & 0o7777);
  w.uint32(a.nlink);
  w.uint32(a.uid);
  w.uint32(a.gid);
  writeU64(w, a.size);
  writeU64(w, a.size);
  if (a.type === 'blk' || a.type === 'chr') {
    w.uint32(a.rdev.major);
    w.uint32(a.rdev.minor);
  } else {
    w.uint32(0);
    w.uint32(0);
  }
  writeU64(w, fsid);
  writeU64(w, a.id);
  writeNfstime(w, a.atime);
  writeNfstime(w, a.mtime);
  writeNfstime(w, a.ctime);
}

/** Encoded size of a fattr3. */
export const FATTR3_SIZE = 84;

/** RFC 1813 §2.6 post_op_attr. */
export function writePostOpAttr(w: XdrWriter, fsid: number, a: Inode | undefined): void {
  if (a === undefined) {
    w.uint32(0);
    return;
  }
  w.uint32(1);
  writeFattr3(w, fsid, a);
}

/** RFC 1813 §2.6 pre_op_attr: wcc_attr {size, mtime, ctime}. */
export function writePreOpAttr(w: XdrWriter, a: Inode | undefined): void {
  if (a === undefined) {
    w.uint32(0);
    return;
  }
  w.uint32(1);
  writeU64(w, a.size);
  writeNfstime(w, a.mtime);
  writeNfstime(w, a.ctime);
}

/** RFC 1813 §2.6 wcc_data: what the object looked like before and after the operation. */
export function writeWccData(w: XdrWriter, fsid: number, wcc: Partial<WccResult> | undefined): void {
  writePreOpAttr(w, wcc?.before);
  writePostOpAttr(w, fsid, wcc?.after);
}

/** RFC 1813 §2.6 post_op_fh3. */
export function writePostOpFh(w: XdrWriter, fh: Buffer | undefined): void {
  if (fh === undefined) {
    w.uint32(0);
    return;
  }
  w.uint32(1);
  w.opaque(fh);
}
