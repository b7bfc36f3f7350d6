import { isFsError } from '../../../core/errors.js';
import type { SetAttrs } from '../../../core/vfs/api.js';
import {
  DELETE,
  FILE_ATTRIBUTE_READONLY,
  FILE_ATTRIBUTE_TEMPORARY,
  FILE_WRITE_ATTRIBUTES,
  FILE_WRITE_DATA,
  FileInfoClass,
  INFO_FILE,
} from '../constants.js';
import { fromFiletime } from '../filetime.js';
import { fileAttributes } from '../fscc.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import { lookupOptional, resolveParent, splitPath } from '../paths.js';
import type { Open } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbReader, sliceAt, utf16 } from '../wire.js';
import { checkRenameSharing } from '../share-modes.js';
import { isEmptyDir } from './create.js';

/** MS-FSCC §2.4.11.2: FileDispositionInformationEx flags. */
const FILE_DISPOSITION_DELETE = 0x1;

/**
 * MS-SMB2 §3.3.5.21: SET_INFO for files: basic (times), end of file,
 * allocation, rename, disposition (and its Ex form), position, mode. File
 * system, security and quota information are NOT_SUPPORTED.
 */
export async function setInfo(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(33);
  const infoType = r.u8();
  const infoClass = r.u8();
  const length = r.u32();
  const offset = r.u16();
  r.skip(2 + 4);
  const open = req.readOpen(r);
  const data = new SmbReader(sliceAt(req.msg, offset, length));
  if (infoType !== INFO_FILE) throw new NtStatusError(Status.NOT_SUPPORTED, `set info type ${infoType}`);
  const tree = open.tree;
  const needWrite = infoClass !== FileInfoClass.Position && infoClass !== FileInfoClass.Mode;
  if (needWrite && tree.access !== 'write') throw new NtStatusError(Status.ACCESS_DENIED, 'read-only tree');
  switch (infoClass) {
    case FileInfoClass.Basic:
      await setBasic(open, data);
      break;
    case FileInfoClass.EndOfFile:
      requireAccess(open, FILE_WRITE_DATA);
      await setSize(open, data.u64n());
      break;
    case FileInfoClass.Allocation: {
      requireAccess(open, FILE_WRITE_DATA);
      // MS-FSCC §2.4.4: shrinking the allocation below EOF truncates; growing only reserves (a no-op here).
      const alloc = data.u64n();
      const attr = await tree.share!.vfs.getattr(open.id);
      if (alloc < attr.size) await setSize(open, alloc);
      break;
    }
    case FileInfoClass.Rename:
      await rename(req, open, data);
      break;
    case FileInfoClass.Disposition:
      await setDeletePending(open, data.u8() !== 0);
      break;
    case FileInfoClass.DispositionEx:
      await setDeletePending(open, (data.u32() & FILE_DISPOSITION_DELETE) !== 0);
      break;
    case FileInfoClass.Position:
      open.position = data.u64n();
      break;
    case FileInfoClass.Mode:
      data.u32();
      break;
    default:
      throw new NtStatusError(Status.NOT_SUPPORTED, `set file info class ${infoClass}`);
  }
  return ok(Buffer.from([2, 0]));
}

function requireAccess(open: Open, bit: number): void {
  if (!(open.grantedAccess & bit)) throw new NtStatusError(Status.ACCESS_DENIED);
}

/**
 * MS-FSCC §2.4.7: times of 0 or -1 leave a time alone. Creation and change
 * time cannot be set (the VFS owns them); the attributes field is accepted
 * and ignored (attributes derive from the mode).
 */
async function setBasic(open: Open, data: SmbReader): Promise<void> {
  requireAccess(open, FILE_WRITE_ATTRIBUTES);
  data.u64();
  const atime = fromFiletime(data.u64());
  const mtime = fromFiletime(data.u64());
  data.u64();
  const attributes = data.u32();
  // MS-FSA §2.1.5.14.2: TEMPORARY is not valid on a directory.
  if (open.isDir && attributes & FILE_ATTRIBUTE_TEMPORARY) throw new NtStatusError(Status.INVALID_PARAMETER);
  const set: SetAttrs = {};
  if (atime) set.atime = atime;
  if (mtime) set.mtime = mtime;
  if (set.atime || set.mtime) await open.tree.share!.vfs.setattr(open.tree.cred, open.id, set);
}

async function setSize(open: Open, size: number): Promise<void> {
  if (open.isDir) throw new NtStatusError(Status.INVALID_PARAMETER, 'size of a directory');
  await open.tree.share!.vfs.setattr(open.tree.cred, open.id, { size });
}

/** MS-FSCC §2.4.13: delete pending is set on the open and acted on at close; a non-empty directory refuses it. */
async function setDeletePending(open: Open, pending: boolean): Promise<void> {
  requireAccess(open, DELETE);
  if (open.parent === undefined) throw new NtStatusError(Status.ACCESS_DENIED, 'the share root cannot be deleted');
  if (pending && open.isDir && !(await isEmptyDir(open))) throw new NtStatusError(Status.DIRECTORY_NOT_EMPTY);
  // MS-FSA §2.1.5.14.3: a read-only file cannot be marked for deletion.
  if (pending && !open.isDir && fileAttributes(await open.tree.share!.vfs.getattr(open.id)) & FILE_ATTRIBUTE_READONLY) {
    throw new NtStatusError(Status.CANNOT_DELETE);
  }
  open.deleteOnClose = pending;
}

/** Any open, on any connection, of a file below directory `dir` of the same share. */
function hasOpenBelow(req: Smb2Request, dir: Open): boolean {
  const share = dir.tree.share;
  const prefix = dir.path + '\\';
  for (const conn of req.conn.server.connections) {
    for (const o of conn.opens.values()) {
      if (o !== dir && o.tree.share === share && o.path.startsWith(prefix)) return true;
    }
  }
  return false;
}

/**
 * MS-FSCC §2.4.37 (SMB2 form): ReplaceIfExists, RootDirectory (must be 0
 * over SMB2), and the new name as a path from the share root.
 */
async function rename(req: Smb2Request, open: Open, data: SmbReader): Promise<void> {
  requireAccess(open, DELETE);
  const replace = data.u8() !== 0;
  data.skip(7);
  data.u64();
  const nameLength = data.u32();
  const target = utf16(data.bytes(nameLength));
  if (open.parent === undefined) throw new NtStatusError(Status.ACCESS_DENIED, 'the share root cannot be renamed');
  const { vfs } = open.tree.share!;
  const cred = open.tree.cred;
  const components = splitPath(target);
  if (components.length === 0) throw new NtStatusError(Status.OBJECT_NAME_INVALID);
  const toDir = await resolveParent(vfs, cred, vfs.root(), components);
  const toName = components[components.length - 1];
  if (toDir === open.parent && toName === open.name) return;
  const existing = await lookupOptional(vfs, cred, toDir, toName);
  if (existing) {
    if (!replace) throw new NtStatusError(Status.OBJECT_NAME_COLLISION);
    // Windows never replaces a directory by rename.
    if (existing.type === 'dir') throw new NtStatusError(Status.ACCESS_DENIED, 'rename over a directory');
  }
  // MS-FSA §2.1.5.14.11 rename of a directory: Windows refuses it with
  // ACCESS_DENIED while a file anywhere below it is open (smbtorture
  // rename_dir_openfile); those opens' paths would go stale.
  if (open.isDir && hasOpenBelow(req, open)) throw new NtStatusError(Status.ACCESS_DENIED, 'open files below');
  const lm = req.conn.server.opts.locks?.(open.tree.share!.id);
  if (lm) await checkRenameSharing(lm, req.conn, open.parent);
  try {
    await vfs.rename(cred, open.parent, open.name, toDir, toName);
  } catch (e) {
    if (isFsError(e, 'EXIST') || isFsError(e, 'NOTEMPTY')) throw new NtStatusError(Status.OBJECT_NAME_COLLISION);
    throw e;
  }
  open.parent = toDir;
  open.name = toName;
  open.path = components.join('\\');
}
