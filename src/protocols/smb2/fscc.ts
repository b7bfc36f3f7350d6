import type { Inode } from '../../core/types.js';
import { FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_READONLY } from './constants.js';
import { toFiletime } from './filetime.js';
import type { SmbWriter } from './wire.js';

/** Allocation unit reported to clients (MS-FSCC AllocationSize is a multiple of it). */
export const ALLOCATION_UNIT = 4096;

/**
 * MS-FSCC §2.6 attributes of an inode, as Samba derives them from a POSIX
 * mode ("map archive = yes", no hidden/system mapping): directories are
 * DIRECTORY, files ARCHIVE, and READONLY when the owner cannot write.
 */
export function fileAttributes(attr: Inode): number {
  if (attr.type === 'dir') return FILE_ATTRIBUTE_DIRECTORY;
  return FILE_ATTRIBUTE_ARCHIVE | ((attr.mode & 0o200) === 0 ? FILE_ATTRIBUTE_READONLY : 0);
}

export function allocationSize(attr: Inode): number {
  if (attr.type === 'dir') return 0;
  return Math.ceil(attr.size / ALLOCATION_UNIT) * ALLOCATION_UNIT;
}

export function endOfFile(attr: Inode): number {
  return attr.type === 'dir' ? 0 : attr.size;
}

/** CreationTime, LastAccessTime, LastWriteTime, ChangeTime (32 bytes, the order of every FSCC structure). */
export function writeTimes(w: SmbWriter, attr: Inode): void {
  w.u64(toFiletime(attr.btime)).u64(toFiletime(attr.atime)).u64(toFiletime(attr.mtime)).u64(toFiletime(attr.ctime));
}

/** MS-FSCC §2.4.7 FileBasicInformation (40 bytes). */
export function writeBasicInfo(w: SmbWriter, attr: Inode): void {
  writeTimes(w, attr);
  w.u32(fileAttributes(attr)).u32(0);
}

/** MS-FSCC §2.4.41 FileStandardInformation (24 bytes). */
export function writeStandardInfo(w: SmbWriter, attr: Inode, deletePending: boolean): void {
  w.u64(allocationSize(attr)).u64(endOfFile(attr)).u32(attr.nlink);
  w.u8(deletePending ? 1 : 0)
    .u8(attr.type === 'dir' ? 1 : 0)
    .u16(0);
}

/** MS-FSCC §2.4.29 FileNetworkOpenInformation (56 bytes). */
export function writeNetworkOpenInfo(w: SmbWriter, attr: Inode): void {
  writeTimes(w, attr);
  w.u64(allocationSize(attr)).u64(endOfFile(attr)).u32(fileAttributes(attr)).u32(0);
}
