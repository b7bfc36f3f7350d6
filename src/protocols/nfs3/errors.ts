import { FsError, type FsErrorCode } from '../../core/errors.js';
import { Nfs3Status } from './constants.js';

/**
 * The one mapping from core errors to NFSv3 status codes (RFC 1813 §2.6).
 * Codes without an NFSv3 counterpart map to the nearest status a client
 * handles sensibly: LOCKED/GRACE/DELAY become JUKEBOX ("try again later"),
 * LOOP becomes INVAL (v3 has no ELOOP; knfsd does the same for lookups).
 */
export const FS_ERROR_TO_NFS3: Readonly<Record<FsErrorCode, Nfs3Status>> = {
  NOENT: Nfs3Status.NOENT,
  EXIST: Nfs3Status.EXIST,
  NOTDIR: Nfs3Status.NOTDIR,
  ISDIR: Nfs3Status.ISDIR,
  NOTEMPTY: Nfs3Status.NOTEMPTY,
  ACCES: Nfs3Status.ACCES,
  PERM: Nfs3Status.PERM,
  ROFS: Nfs3Status.ROFS,
  NOSPC: Nfs3Status.NOSPC,
  DQUOT: Nfs3Status.DQUOT,
  STALE: Nfs3Status.STALE,
  INVAL: Nfs3Status.INVAL,
  NAMETOOLONG: Nfs3Status.NAMETOOLONG,
  XDEV: Nfs3Status.XDEV,
  MLINK: Nfs3Status.MLINK,
  FBIG: Nfs3Status.FBIG,
  LOOP: Nfs3Status.INVAL,
  BADHANDLE: Nfs3Status.BADHANDLE,
  LOCKED: Nfs3Status.JUKEBOX,
  GRACE: Nfs3Status.JUKEBOX,
  DELAY: Nfs3Status.JUKEBOX,
  NOTSUPP: Nfs3Status.NOTSUPP,
  NOT_SYNC: Nfs3Status.NOT_SYNC,
  BADTYPE: Nfs3Status.BADTYPE,
  BADCOOKIE: Nfs3Status.BAD_COOKIE,
  // Lock-manager only (NLM maps it); NFSv3 itself never blocks on locks.
  DEADLK: Nfs3Status.IO,
  IO: Nfs3Status.IO,
};

/** The status for a thrown value, or undefined when it is not an FsError (a bug: SERVERFAULT). */
export function nfs3StatusOf(e: unknown): Nfs3Status | undefined {
  if (e instanceof FsError) return FS_ERROR_TO_NFS3[e.code];
  if (e instanceof Nfs3Error) return e.status;
  return undefined;
}

/** A failure that exists only at the protocol level (e.g. TOOSMALL): carries its nfsstat3 directly. */
export class Nfs3Error extends Error {
  constructor(readonly status: Nfs3Status) {
    super(Nfs3Status[status]);
    this.name = 'Nfs3Error';
  }
}
