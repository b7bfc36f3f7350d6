import { isFsError, type FsErrorCode } from '../../core/errors.js';

/** NTSTATUS values the server sends (MS-ERREF §2.3.1). */
export const Status = {
  SUCCESS: 0x00000000,
  PENDING: 0x00000103,
  BUFFER_OVERFLOW: 0x80000005,
  NO_MORE_FILES: 0x80000006,
  STOPPED_ON_SYMLINK: 0x8000002d,
  UNSUCCESSFUL: 0xc0000001,
  NOT_IMPLEMENTED: 0xc0000002,
  INVALID_INFO_CLASS: 0xc0000003,
  INFO_LENGTH_MISMATCH: 0xc0000004,
  INVALID_HANDLE: 0xc0000008,
  INVALID_PARAMETER: 0xc000000d,
  NO_SUCH_FILE: 0xc000000f,
  INVALID_DEVICE_REQUEST: 0xc0000010,
  END_OF_FILE: 0xc0000011,
  MORE_PROCESSING_REQUIRED: 0xc0000016,
  ACCESS_DENIED: 0xc0000022,
  BUFFER_TOO_SMALL: 0xc0000023,
  OBJECT_NAME_INVALID: 0xc0000033,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  OBJECT_NAME_COLLISION: 0xc0000035,
  OBJECT_PATH_NOT_FOUND: 0xc000003a,
  SHARING_VIOLATION: 0xc0000043,
  QUOTA_EXCEEDED: 0xc0000044,
  FILE_LOCK_CONFLICT: 0xc0000054,
  LOCK_NOT_GRANTED: 0xc0000055,
  DELETE_PENDING: 0xc0000056,
  LOGON_FAILURE: 0xc000006d,
  RANGE_NOT_LOCKED: 0xc000007e,
  DISK_FULL: 0xc000007f,
  FILE_INVALID: 0xc0000098,
  MEDIA_WRITE_PROTECTED: 0xc00000a2,
  BAD_IMPERSONATION_LEVEL: 0xc00000a5,
  FILE_IS_A_DIRECTORY: 0xc00000ba,
  NOT_SUPPORTED: 0xc00000bb,
  NETWORK_BUSY: 0xc00000bf,
  NETWORK_NAME_DELETED: 0xc00000c9,
  BAD_NETWORK_NAME: 0xc00000cc,
  REQUEST_NOT_ACCEPTED: 0xc00000d0,
  NOT_SAME_DEVICE: 0xc00000d4,
  INVALID_OPLOCK_PROTOCOL: 0xc00000e3,
  INTERNAL_ERROR: 0xc00000e5,
  UNEXPECTED_IO_ERROR: 0xc00000e9,
  DIRECTORY_NOT_EMPTY: 0xc0000101,
  NOT_A_DIRECTORY: 0xc0000103,
  NAME_TOO_LONG: 0xc0000106,
  CANCELLED: 0xc0000120,
  CANNOT_DELETE: 0xc0000121,
  FILE_CLOSED: 0xc0000128,
  INVALID_DEVICE_STATE: 0xc0000184,
  POSSIBLE_DEADLOCK: 0xc0000194,
  INVALID_LOCK_RANGE: 0xc00001a1,
  USER_SESSION_DELETED: 0xc0000203,
  TOO_MANY_LINKS: 0xc0000265,
  FILE_TOO_LARGE: 0xc0000904,
} as const;

/**
 * The one mapping from core errors to NTSTATUS (DESIGN.md "Errors"), chosen
 * as Samba maps the same errno (source3/lib/errmap_unix.c): EROFS is
 * MEDIA_WRITE_PROTECTED, EAGAIN-like conditions NETWORK_BUSY, ELOOP
 * STOPPED_ON_SYMLINK.
 */
export const FS_ERROR_TO_NTSTATUS: Readonly<Record<FsErrorCode, number>> = {
  NOENT: Status.OBJECT_NAME_NOT_FOUND,
  EXIST: Status.OBJECT_NAME_COLLISION,
  NOTDIR: Status.NOT_A_DIRECTORY,
  ISDIR: Status.FILE_IS_A_DIRECTORY,
  NOTEMPTY: Status.DIRECTORY_NOT_EMPTY,
  ACCES: Status.ACCESS_DENIED,
  PERM: Status.ACCESS_DENIED,
  ROFS: Status.MEDIA_WRITE_PROTECTED,
  NOSPC: Status.DISK_FULL,
  DQUOT: Status.QUOTA_EXCEEDED,
  // A handle whose file is gone (deleted by another protocol): the open is no longer usable.
  STALE: Status.FILE_INVALID,
  INVAL: Status.INVALID_PARAMETER,
  NAMETOOLONG: Status.NAME_TOO_LONG,
  XDEV: Status.NOT_SAME_DEVICE,
  MLINK: Status.TOO_MANY_LINKS,
  FBIG: Status.FILE_TOO_LARGE,
  LOOP: Status.STOPPED_ON_SYMLINK,
  BADHANDLE: Status.INVALID_HANDLE,
  LOCKED: Status.FILE_LOCK_CONFLICT,
  GRACE: Status.NETWORK_BUSY,
  DELAY: Status.NETWORK_BUSY,
  NOTSUPP: Status.NOT_SUPPORTED,
  NOT_SYNC: Status.INVALID_PARAMETER,
  BADTYPE: Status.NOT_SUPPORTED,
  BADCOOKIE: Status.INVALID_PARAMETER,
  DEADLK: Status.POSSIBLE_DEADLOCK,
  IO: Status.UNEXPECTED_IO_ERROR,
};

/** Thrown by command handlers to answer with an NTSTATUS and the error response (MS-SMB2 §2.2.2). */
export class NtStatusError extends Error {
  constructor(
    readonly status: number,
    message?: string,
  ) {
    super(message ?? `NTSTATUS 0x${status.toString(16)}`);
    this.name = 'NtStatusError';
  }
}

/** NTSTATUS of a failure, or undefined when it is neither an FsError nor an NtStatusError (a bug). */
export function ntStatusOf(e: unknown): number | undefined {
  if (e instanceof NtStatusError) return e.status;
  if (isFsError(e)) return FS_ERROR_TO_NTSTATUS[e.code];
  return undefined;
}

/** Statuses that mean a store failed (metrics). */
export const STORE_ERROR_STATUSES: readonly number[] = [Status.UNEXPECTED_IO_ERROR, Status.INTERNAL_ERROR];
