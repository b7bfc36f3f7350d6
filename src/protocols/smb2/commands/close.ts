import { isFsError } from '../../../core/errors.js';
import type { Inode } from '../../../core/types.js';
import { CLOSE_FLAG_POSTQUERY_ATTRIB } from '../constants.js';
import { allocationSize, endOfFile, fileAttributes, writeTimes } from '../fscc.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import { releaseCaching } from '../leases-grant.js';
import { releaseLocks } from './lock.js';
import { releaseShare } from '../share-modes.js';
import type { Open } from '../state.js';
import { SmbWriter } from '../wire.js';

/**
 * What closing an open does to the file: written data is committed (close is
 * where SMB clients expect their data to be safe, as NFS clients commit at
 * close), and a delete-on-close open removes its name (MS-SMB2 §3.3.4.16).
 */
export async function releaseOpen(open: Open): Promise<void> {
  const share = open.tree.share;
  if (!share) return;
  const { vfs } = share;
  try {
    if (open.written) await vfs.commit(open.tree.cred, open.id);
    if (open.deleteOnClose && open.parent !== undefined) {
      try {
        if (open.isDir) await vfs.rmdir(open.tree.cred, open.parent, open.name);
        else await vfs.remove(open.tree.cred, open.parent, open.name);
      } catch (e) {
        // Already gone (another protocol removed it): nothing left to delete.
        if (!isFsError(e, 'NOENT')) throw e;
      }
    }
  } finally {
    // MS-FSA §2.1.5.4: the open's byte-range locks (and its waiting LOCKs) end with it.
    await releaseLocks(open);
    // The share reservation and the oplock/lease end with the open, whatever the commit did; the
    // reservation first, so an opener waiting for this HANDLE lease break finds no conflict left.
    await releaseShare(open);
    await releaseCaching(open);
  }
}

/** MS-SMB2 §3.3.5.10: CLOSE, with the attributes after close when POSTQUERY_ATTRIB asks for them. */
export async function close(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(24);
  const flags = r.u16();
  r.skip(4);
  const open = req.readOpen(r);
  req.conn.opens.delete(open.volatileId);
  await releaseOpen(open);
  let attr: Inode | undefined;
  if (flags & CLOSE_FLAG_POSTQUERY_ATTRIB && !open.deleteOnClose) {
    attr = await open.tree.share?.vfs.getattr(open.id).catch(() => undefined);
  }
  const w = new SmbWriter(60);
  w.u16(60)
    .u16(attr ? CLOSE_FLAG_POSTQUERY_ATTRIB : 0)
    .u32(0);
  if (attr) {
    writeTimes(w, attr);
    w.u64(allocationSize(attr)).u64(endOfFile(attr)).u32(fileAttributes(attr));
  } else {
    w.zeros(52);
  }
  return ok(w.result());
}
