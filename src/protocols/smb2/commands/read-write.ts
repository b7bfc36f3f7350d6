import {
  DIALECT_202,
  FILE_APPEND_DATA,
  FILE_EXECUTE,
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  HEADER_SIZE,
  WRITEFLAG_WRITE_THROUGH,
} from '../constants.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import { checkIoLocks } from './lock.js';
import type { Open } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbWriter, sliceAt } from '../wire.js';

/** MS-SMB2 §3.3.5.12: a multi-credit READ/WRITE must be charged one credit per started 64 KiB. */
function checkCharge(req: Smb2Request, bytes: number): void {
  if (req.conn.dialect === DIALECT_202) {
    if (bytes > 65536) throw new NtStatusError(Status.INVALID_PARAMETER, '2.0.2 I/O above 64 KiB');
    return;
  }
  const needed = Math.max(1, Math.ceil(bytes / 65536));
  if (Math.max(1, req.hdr.creditCharge) < needed)
    throw new NtStatusError(Status.INVALID_PARAMETER, 'CreditCharge too small');
  if (bytes > req.conn.server.maxIo)
    throw new NtStatusError(Status.INVALID_PARAMETER, 'above MaxReadSize/MaxWriteSize');
}

function fileOnly(open: Open): void {
  // Samba answers I/O on a directory handle with INVALID_DEVICE_REQUEST.
  if (open.isDir) throw new NtStatusError(Status.INVALID_DEVICE_REQUEST, 'I/O on a directory');
}

/** MS-SMB2 §3.3.5.12: READ. Short reads at EOF succeed; a read starting at or past EOF is END_OF_FILE. */
export async function read(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(49);
  r.skip(2);
  const length = r.u32();
  const offset = r.u64n();
  const open = req.readOpen(r);
  const minimum = r.u32();
  fileOnly(open);
  checkCharge(req, length);
  if (!(open.grantedAccess & (FILE_READ_DATA | FILE_EXECUTE))) throw new NtStatusError(Status.ACCESS_DENIED);
  checkIoLocks(req, open, offset, length, 'read');
  const { vfs } = open.tree.share!;
  const res = await vfs.read(open.tree.cred, open.id, offset, length);
  if ((res.data.length === 0 && length > 0) || res.data.length < minimum) throw new NtStatusError(Status.END_OF_FILE);
  req.conn.server.opts.onBytes?.('read', res.data.length);
  open.position = offset + res.data.length;
  const w = new SmbWriter(16);
  w.u16(17)
    .u8(HEADER_SIZE + 16)
    .u8(0)
    .u32(res.data.length)
    .u32(0)
    .u32(0);
  return ok(w.result(), res.data);
}

/**
 * MS-SMB2 §3.3.5.13: WRITE. Writes are UNSTABLE unless WRITE_THROUGH is set
 * (then FILE_SYNC); FLUSH and CLOSE commit. Offset 0xFFFFFFFFFFFFFFFF
 * appends (§2.2.21, opens with only FILE_APPEND_DATA).
 */
export async function write(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(49);
  const dataOffset = r.u16();
  const length = r.u32();
  const rawOffset = r.u64();
  const open = req.readOpen(r);
  r.skip(4 + 4 + 2 + 2);
  const flags = r.u32();
  const data = sliceAt(req.msg, dataOffset, length);
  fileOnly(open);
  checkCharge(req, length);
  if (!(open.grantedAccess & (FILE_WRITE_DATA | FILE_APPEND_DATA)) || open.tree.access !== 'write') {
    throw new NtStatusError(Status.ACCESS_DENIED);
  }
  const { vfs } = open.tree.share!;
  let offset: number;
  if (rawOffset === 0xffffffffffffffffn) offset = (await vfs.getattr(open.id)).size;
  else if (rawOffset > BigInt(Number.MAX_SAFE_INTEGER)) throw new NtStatusError(Status.INVALID_PARAMETER, 'offset');
  else offset = Number(rawOffset);
  checkIoLocks(req, open, offset, data.length, 'write');
  const stable = flags & WRITEFLAG_WRITE_THROUGH ? 'file_sync' : 'unstable';
  const res = await vfs.write(open.tree.cred, open.id, offset, Buffer.from(data), stable);
  open.written = true;
  open.position = offset + res.count;
  req.conn.server.opts.onBytes?.('write', res.count);
  const w = new SmbWriter(16);
  w.u16(17).u16(0).u32(res.count).u32(0).u16(0).u16(0);
  return ok(w.result());
}

/** MS-SMB2 §3.3.5.11: FLUSH commits the file's data in the block store (the share's durability mode). */
export async function flush(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(24);
  r.skip(6);
  const open = req.readOpen(r);
  if (!open.isDir) {
    if (!(open.grantedAccess & (FILE_WRITE_DATA | FILE_APPEND_DATA))) throw new NtStatusError(Status.ACCESS_DENIED);
    await open.tree.share!.vfs.commit(open.tree.cred, open.id);
    open.written = false;
  }
  return ok(Buffer.from([4, 0, 0, 0]));
}
