import { FsError } from '../errors.js';
import type { Credentials, Inode } from '../types.js';

export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

/** Permission bits as they appear in each owner/group/other triplet. */
export const MAY_READ = 4;
export const MAY_WRITE = 2;
export const MAY_EXEC = 1;

/** The caller's primary or a supplementary group is `gid`. */
export function inGroup(cred: Credentials, gid: number): boolean {
  return cred.gid === gid || cred.gids.includes(gid);
}

/**
 * POSIX file permission check (owner, else group incl. supplementary groups,
 * else other: exactly one class applies). uid 0 passes read and write on
 * anything, and execute/search on directories or on files with at least one
 * x bit (as Linux's capable(CAP_DAC_OVERRIDE)).
 */
export function mayAccess(cred: Credentials, ino: Inode, want: number): boolean {
  if (cred.uid === 0) {
    if ((want & MAY_EXEC) === 0 || ino.type === 'dir') return true;
    return (ino.mode & 0o111) !== 0;
  }
  let bits: number;
  if (cred.uid === ino.uid) bits = (ino.mode >> 6) & 7;
  else if (inGroup(cred, ino.gid)) bits = (ino.mode >> 3) & 7;
  else bits = ino.mode & 7;
  return (bits & want) === want;
}

export function requireAccess(cred: Credentials, ino: Inode, want: number): void {
  if (!mayAccess(cred, ino, want)) throw new FsError('ACCES');
}

/**
 * Data access for READ/WRITE/truncate: the owner always passes. NFS is
 * stateless, so the server cannot tell a write through a descriptor opened
 * while the mode allowed it (e.g. `open(O_CREAT|O_WRONLY, 0444)`, as cp and
 * tar do) from a fresh one; the client checked at open time. Linux knfsd does
 * the same (NFSD_MAY_OWNER_OVERRIDE in nfsd_permission).
 */
export function requireDataAccess(cred: Credentials, ino: Inode, want: number): void {
  if (cred.uid !== ino.uid) requireAccess(cred, ino, want);
}

/** Sticky directory (S_ISVTX): only the entry's owner, the directory's owner or root may remove or rename it. */
export function requireStickyOk(cred: Credentials, dir: Inode, victim: Inode): void {
  if ((dir.mode & S_ISVTX) === 0 || cred.uid === 0 || cred.uid === dir.uid || cred.uid === victim.uid) return;
  throw new FsError('PERM', 'sticky directory');
}
