import type { SetAttrs } from '../../../core/vfs/api.js';
import type { Timespec } from '../../../core/types.js';
import { XdrError } from '../../xdr/errors.js';
import type { XdrReader } from '../../xdr/reader.js';
import { NFS3_FHSIZE, NFS3_MAX_DECODED_NAME, TimeHow } from '../constants.js';

/*
 * Decoders for the RFC 1813 §2.5-2.6 argument types. They only know bytes:
 * every length is bounded (XdrError → GARBAGE_ARGS) and semantic checks
 * (name rules, size limits) are left to the procedures.
 */

/** RFC 1813 §2.5 nfs_fh3: opaque<NFS3_FHSIZE>, returned zero-copy. */
export function readFh(r: XdrReader): Buffer {
  return r.opaque(NFS3_FHSIZE);
}

/** RFC 1813 §2.5 filename3 / nfspath3 as raw bytes; see names.ts for validation. */
export function readName(r: XdrReader): Buffer {
  return r.opaque(NFS3_MAX_DECODED_NAME);
}

/**
 * A uint64 as a JS number. Values above 2^53 lose precision but stay above
 * Number.MAX_SAFE_INTEGER, which is all the callers need to refuse them.
 */
export function readU64(r: XdrReader): number {
  const hi = r.uint32();
  const lo = r.uint32();
  return hi * 0x1_0000_0000 + lo;
}

/** RFC 1813 §2.5 nfstime3. */
export function readNfstime(r: XdrReader): Timespec {
  const sec = r.uint32();
  const nsec = r.uint32();
  return { sec, nsec };
}

/** RFC 1813 §2.5 diropargs3. */
export interface DirOpArgs {
  dir: Buffer;
  name: Buffer;
}

export function readDirOpArgs(r: XdrReader): DirOpArgs {
  const dir = readFh(r);
  const name = readName(r);
  return { dir, name };
}

function readTimeHow(r: XdrReader): Timespec | 'server' | undefined {
  const how = r.uint32();
  switch (how) {
    case TimeHow.DONT_CHANGE:
      return undefined;
    case TimeHow.SET_TO_SERVER_TIME:
      return 'server';
    case TimeHow.SET_TO_CLIENT_TIME:
      return readNfstime(r);
    default:
      throw new XdrError(`invalid time_how ${how}`);
  }
}

/** RFC 1813 §2.6 sattr3: each field is an optional (switch on a bool). */
export function readSattr3(r: XdrReader): SetAttrs {
  const set: SetAttrs = {};
  if (r.bool()) set.mode = r.uint32() & 0o7777;
  if (r.bool()) set.uid = r.uint32();
  if (r.bool()) set.gid = r.uint32();
  if (r.bool()) set.size = readU64(r);
  const atime = readTimeHow(r);
  if (atime !== undefined) set.atime = atime;
  const mtime = readTimeHow(r);
  if (mtime !== undefined) set.mtime = mtime;
  return set;
}
