import type { Share } from '../../../core/share.js';
import { squash } from '../../../core/vfs/identity.js';
import {
  FILE_ALL_ACCESS,
  FILE_READ_ONLY_ACCESS,
  SHAREFLAG_NO_CACHING,
  SHARE_TYPE_DISK,
  SHARE_TYPE_PIPE,
} from '../constants.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import type { Tree } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbWriter, sliceAt, utf16 } from '../wire.js';
import { releaseOpen } from './close.js';

/**
 * The DittoFS share for a UNC path "\\server\name": "/name", compared
 * without case as Windows share names are (a share "/Export" is reached as
 * \\server\export too).
 */
export function shareForPath(shares: Share[], unc: string): Share | undefined {
  const parts = unc.split('\\').filter((p) => p.length > 0);
  if (parts.length !== 2) return undefined;
  const want = parts[1].toLowerCase();
  return shares.find((s) => s.name.replace(/^\/+/, '').toLowerCase() === want);
}

/**
 * MS-SMB2 §3.3.5.7: TREE_CONNECT. IPC$ gets a pipe tree on which every open
 * is refused (no RPC services yet); other names map to DittoFS shares, with
 * the control plane's share permission deciding none/read/write.
 */
export async function treeConnect(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(9);
  r.skip(2);
  const pathOffset = r.u16();
  const pathLength = r.u16();
  const path = utf16(sliceAt(req.msg, pathOffset, pathLength));
  const session = req.session!;
  const user = session.user!;
  const srv = req.conn.server;
  const name = path.split('\\').filter(Boolean)[1] ?? '';
  if (name.toUpperCase() === 'IPC$') {
    const tree: Tree = {
      id: session.nextTreeId++,
      path,
      access: 'read',
      cred: { uid: user.uid, gid: user.gid, gids: user.gids },
      maximalAccess: FILE_READ_ONLY_ACCESS,
    };
    session.trees.set(tree.id, tree);
    req.hdr.treeId = tree.id;
    return ok(responseBody(SHARE_TYPE_PIPE, 0, tree.maximalAccess));
  }
  const share = shareForPath(srv.opts.shares.list(), path);
  if (!share) throw new NtStatusError(Status.BAD_NETWORK_NAME, `no share for ${path}`);
  const caller = { uid: user.uid, gid: user.gid, gids: user.gids };
  const access = srv.opts.authorize?.(share, caller, { address: req.conn.peer.address }) ?? 'write';
  if (access === 'none') throw new NtStatusError(Status.ACCESS_DENIED, 'no permission on this share');
  const writable = access === 'write' && !share.options.readOnly && !share.vfs.readOnly;
  const tree: Tree = {
    id: session.nextTreeId++,
    share,
    path,
    access: writable ? 'write' : 'read',
    cred: squash(caller, share.options),
    maximalAccess: writable ? FILE_ALL_ACCESS : FILE_READ_ONLY_ACCESS,
  };
  session.trees.set(tree.id, tree);
  req.hdr.treeId = tree.id;
  req.conn.log.debug({ share: share.name, access: tree.access, tree: tree.id }, 'SMB tree connect');
  return ok(responseBody(SHARE_TYPE_DISK, SHAREFLAG_NO_CACHING, tree.maximalAccess));
}

/** MS-SMB2 §2.2.10: TREE_CONNECT response body. */
function responseBody(shareType: number, shareFlags: number, maximalAccess: number): Buffer {
  return new SmbWriter(16).u16(16).u8(shareType).u8(0).u32(shareFlags).u32(0).u32(maximalAccess).result();
}

/** MS-SMB2 §3.3.5.8: TREE_DISCONNECT closes the tree's opens. */
export async function treeDisconnect(req: Smb2Request): Promise<Smb2Reply> {
  req.body(4);
  const tree = req.tree!;
  req.session!.trees.delete(tree.id);
  for (const open of [...req.conn.opens.values()]) {
    if (open.tree !== tree) continue;
    req.conn.opens.delete(open.volatileId);
    await releaseOpen(open).catch(() => undefined);
  }
  return ok(Buffer.from([4, 0, 0, 0]));
}
