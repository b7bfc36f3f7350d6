/** NFS version 3 wire constants (RFC 1813). The one place each number is written down. */

export const NFS_PROGRAM = 100003;
export const NFS_V3 = 3;

/** RFC 1813 §2.4: the maximum size in bytes of an opaque file handle. */
export const NFS3_FHSIZE = 64;
/** RFC 1813 §2.4: size of the cookie, create and write verifiers. */
export const NFS3_COOKIEVERFSIZE = 8;
export const NFS3_CREATEVERFSIZE = 8;
export const NFS3_WRITEVERFSIZE = 8;

/** RFC 1813 §3: procedure numbers. */
export enum Nfs3Proc {
  NULL = 0,
  GETATTR = 1,
  SETATTR = 2,
  LOOKUP = 3,
  ACCESS = 4,
  READLINK = 5,
  READ = 6,
  WRITE = 7,
  CREATE = 8,
  MKDIR = 9,
  SYMLINK = 10,
  MKNOD = 11,
  REMOVE = 12,
  RMDIR = 13,
  RENAME = 14,
  LINK = 15,
  READDIR = 16,
  READDIRPLUS = 17,
  FSSTAT = 18,
  FSINFO = 19,
  PATHCONF = 20,
  COMMIT = 21,
}

/** RFC 1813 §2.6: nfsstat3. */
export enum Nfs3Status {
  OK = 0,
  PERM = 1,
  NOENT = 2,
  IO = 5,
  NXIO = 6,
  ACCES = 13,
  EXIST = 17,
  XDEV = 18,
  NODEV = 19,
  NOTDIR = 20,
  ISDIR = 21,
  INVAL = 22,
  FBIG = 27,
  NOSPC = 28,
  ROFS = 30,
  MLINK = 31,
  NAMETOOLONG = 63,
  NOTEMPTY = 66,
  DQUOT = 69,
  STALE = 70,
  REMOTE = 71,
  BADHANDLE = 10001,
  NOT_SYNC = 10002,
  BAD_COOKIE = 10003,
  NOTSUPP = 10004,
  TOOSMALL = 10005,
  SERVERFAULT = 10006,
  BADTYPE = 10007,
  JUKEBOX = 10008,
}

/** RFC 1813 §2.6: ftype3. */
export enum Ftype3 {
  REG = 1,
  DIR = 2,
  BLK = 3,
  CHR = 4,
  LNK = 5,
  SOCK = 6,
  FIFO = 7,
}

/** RFC 1813 §2.6 sattr3: time_how. */
export enum TimeHow {
  DONT_CHANGE = 0,
  SET_TO_SERVER_TIME = 1,
  SET_TO_CLIENT_TIME = 2,
}

/** RFC 1813 §3.3.7: stable_how. */
export enum StableHow3 {
  UNSTABLE = 0,
  DATA_SYNC = 1,
  FILE_SYNC = 2,
}

/** RFC 1813 §3.3.8: createmode3. */
export enum CreateMode3 {
  UNCHECKED = 0,
  GUARDED = 1,
  EXCLUSIVE = 2,
}

/** RFC 1813 §3.3.19: FSINFO properties bits. */
export const FSF3_LINK = 0x0001;
export const FSF3_SYMLINK = 0x0002;
export const FSF3_HOMOGENEOUS = 0x0008;
export const FSF3_CANSETTIME = 0x0010;

/** Largest file offset the server handles: numbers stay exact up to 2^53 - 1. */
export const NFS3_MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** Hard-link limit reported by PATHCONF. */
export const NFS3_LINK_MAX = 32000;
/** Default and largest READ/WRITE transfer size (FSINFO rtmax/wtmax). */
export const NFS3_DEFAULT_MAX_IO = 1024 * 1024;
/** Preferred READDIR reply size (FSINFO dtpref). */
export const NFS3_DTPREF = 64 * 1024;

/**
 * Upper bound on the encoded length of names and paths decoded at all:
 * longer inputs are GARBAGE_ARGS. Shorter ones reach the VFS, whose name
 * rules answer NAMETOOLONG past NAME_MAX/PATH_MAX.
 */
export const NFS3_MAX_DECODED_NAME = 8192;
