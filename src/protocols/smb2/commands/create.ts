import { ACCESS_MODIFY, ACCESS_READ } from '../../../core/vfs/api.js';
import type { Inode } from '../../../core/types.js';
import {
  DELETE,
  Disposition,
  FILE_ALL_ACCESS,
  FILE_ATTRIBUTE_READONLY,
  FILE_ATTRIBUTE_TEMPORARY,
  FILE_APPEND_DATA,
  FILE_CREATED,
  FILE_DELETE_ON_CLOSE,
  FILE_DIRECTORY_FILE,
  FILE_EXECUTE,
  FILE_NON_DIRECTORY_FILE,
  FILE_OPENED,
  FILE_OVERWRITTEN,
  FILE_READ_ATTRIBUTES,
  FILE_READ_DATA,
  FILE_READ_EA,
  FILE_SUPERSEDED,
  FILE_WRITE_ATTRIBUTES,
  FILE_WRITE_DATA,
  FILE_WRITE_EA,
  FLAGS_RELATED_OPERATIONS,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  SYNCHRONIZE,
  WRITE_ACCESS_MASK,
} from '../constants.js';
import { allocationSize, endOfFile, fileAttributes, writeTimes } from '../fscc.js';
import { errorReply, goAsync, ok, type AsyncWork, type Smb2Reply, type Smb2Request } from '../handler.js';
import { lookupOptional, resolveParent, splitPath } from '../paths.js';
import type { Open, Tree } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbWriter, sliceAt, utf16 } from '../wire.js';
import {
  LEASE_CONTEXT_NAME,
  OPLOCK_LEVEL_LEASE,
  OPLOCK_LEVEL_NONE,
  decodeLeaseContext,
  encodeLeaseResponse,
  parseCreateContexts,
} from '../leases.js';
import { grantLease, grantOplock, type CachingGrant } from '../leases-grant.js';
import { releaseShare, reserveShare } from '../share-modes.js';
import { releaseOpen } from './close.js';

/** MS-SMB2 §2.2.13.1.1: the generic rights mapped to file rights (as Windows maps them for files). */
const FILE_GENERIC_READ = READ_CONTROL | SYNCHRONIZE | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA;
const FILE_GENERIC_WRITE =
  READ_CONTROL | SYNCHRONIZE | FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA;
const FILE_GENERIC_EXECUTE = READ_CONTROL | SYNCHRONIZE | FILE_READ_ATTRIBUTES | FILE_EXECUTE;

/** Mode of files and directories created over SMB (Samba's defaults "create mask 0744"/"directory mask 0755", group-readable). */
const NEW_FILE_MODE = 0o644;
const NEW_DIR_MODE = 0o755;

function mapAccess(desired: number, tree: Tree): number {
  let a = desired & 0x01ffffff & ~MAXIMUM_ALLOWED;
  if (desired & GENERIC_READ) a |= FILE_GENERIC_READ;
  if (desired & GENERIC_WRITE) a |= FILE_GENERIC_WRITE;
  if (desired & GENERIC_EXECUTE) a |= FILE_GENERIC_EXECUTE;
  if (desired & GENERIC_ALL) a |= FILE_ALL_ACCESS;
  if (desired & MAXIMUM_ALLOWED) a |= tree.maximalAccess;
  return a;
}

/**
 * MS-SMB2 §3.3.5.9: CREATE. Share access becomes a share reservation and
 * oplocks/leases become leases of the share's lock manager (share-modes.ts,
 * leases-grant.ts); without a lock manager neither is enforced or granted.
 * Of the create contexts (§2.2.13.2) only RqLs is acted on; the others are
 * bounds-checked and ignored, which §3.3.5.9 allows.
 */
export async function create(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(57);
  r.skip(1);
  const requestedOplock = r.u8();
  const impersonation = r.u32();
  r.skip(16);
  const desired = r.u32();
  // FileAttributes: only READONLY is kept (as a mode without write bits, fscc.ts fileAttributes); the rest derive from the mode.
  const fileAttrs = r.u32();
  const shareAccess = r.u32();
  const disposition = r.u32();
  const options = r.u32();
  const nameOffset = r.u16();
  const nameLength = r.u16();
  const ctxOffset = r.u32();
  const ctxLength = r.u32();
  const name = utf16(sliceAt(req.msg, nameOffset, nameLength));
  const contexts = parseCreateContexts(req.msg, ctxOffset, ctxLength);
  // §3.3.5.9.8/.11: a lease context counts only with OplockLevel LEASE on 2.1+; a malformed one is INVALID_PARAMETER.
  const leaseData = contexts.find((c) => c.name === LEASE_CONTEXT_NAME)?.data;
  const leaseCtx =
    leaseData && requestedOplock === OPLOCK_LEVEL_LEASE && req.conn.dialect >= 0x0210
      ? decodeLeaseContext(leaseData, req.conn.dialect)
      : undefined;

  // §3.3.5.9: an ImpersonationLevel outside §2.2.13's four values SHOULD be BAD_IMPERSONATION_LEVEL.
  if (impersonation > 3) throw new NtStatusError(Status.BAD_IMPERSONATION_LEVEL);
  if (disposition > Disposition.OVERWRITE_IF) throw new NtStatusError(Status.INVALID_PARAMETER);
  // §3.3.5.9: a name starting with a path separator is INVALID_PARAMETER (names are relative to the share root).
  if (name.startsWith('\\')) throw new NtStatusError(Status.INVALID_PARAMETER, 'leading backslash');
  const wantDir = (options & FILE_DIRECTORY_FILE) !== 0;
  const wantFile = (options & FILE_NON_DIRECTORY_FILE) !== 0;
  if (wantDir && wantFile) throw new NtStatusError(Status.INVALID_PARAMETER, 'both DIRECTORY and NON_DIRECTORY');
  const tree = req.tree!;
  const share = tree.share;
  // IPC$: no named pipes are served.
  if (!share) throw new NtStatusError(Status.OBJECT_NAME_NOT_FOUND, 'no pipes on IPC$');
  let access = mapAccess(desired, tree);
  const deleteOnClose = (options & FILE_DELETE_ON_CLOSE) !== 0;
  // MS-FSCC/Windows: DELETE_ON_CLOSE without DELETE access is invalid.
  if (deleteOnClose && !(access & DELETE))
    throw new NtStatusError(Status.INVALID_PARAMETER, 'DELETE_ON_CLOSE without DELETE');
  if (tree.access !== 'write') {
    if (desired & MAXIMUM_ALLOWED) access &= ~WRITE_ACCESS_MASK;
    if (access & WRITE_ACCESS_MASK) throw new NtStatusError(Status.ACCESS_DENIED, 'read-only tree');
  }

  const { vfs } = share;
  const cred = tree.cred;
  const components = splitPath(name);
  const root = vfs.root();
  let parent: number | undefined;
  let last = '';
  let attr: Inode | undefined;
  if (components.length === 0) {
    attr = await vfs.getattr(root);
  } else {
    parent = await resolveParent(vfs, cred, root, components);
    last = components[components.length - 1];
    attr = await lookupOptional(vfs, cred, parent, last);
  }

  let action: number;
  let overwrite = false;
  if (attr) {
    if (disposition === Disposition.CREATE) throw new NtStatusError(Status.OBJECT_NAME_COLLISION);
    if (attr.type === 'dir' && wantFile) throw new NtStatusError(Status.FILE_IS_A_DIRECTORY);
    if (attr.type !== 'dir' && wantDir) throw new NtStatusError(Status.NOT_A_DIRECTORY);
    // MS-FSA §2.1.5.1.2.1: DELETE_ON_CLOSE on a read-only file is CANNOT_DELETE.
    if (deleteOnClose && fileAttributes(attr) & FILE_ATTRIBUTE_READONLY) throw new NtStatusError(Status.CANNOT_DELETE);
    await checkAccess(req, attr, access);
    if (
      disposition === Disposition.SUPERSEDE ||
      disposition === Disposition.OVERWRITE ||
      disposition === Disposition.OVERWRITE_IF
    ) {
      if (attr.type === 'dir') throw new NtStatusError(Status.INVALID_PARAMETER, 'overwrite of a directory');
      overwrite = true;
      action = disposition === Disposition.SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
    } else {
      action = FILE_OPENED;
    }
  } else {
    if (disposition === Disposition.OPEN || disposition === Disposition.OVERWRITE) {
      throw new NtStatusError(Status.OBJECT_NAME_NOT_FOUND);
    }
    if (tree.access !== 'write') throw new NtStatusError(Status.ACCESS_DENIED, 'read-only tree');
    // MS-FSA §2.1.5.1.1: a new directory cannot be TEMPORARY.
    if (wantDir && fileAttrs & FILE_ATTRIBUTE_TEMPORARY)
      throw new NtStatusError(Status.INVALID_PARAMETER, 'temporary dir');
    const readOnly = !wantDir && (fileAttrs & FILE_ATTRIBUTE_READONLY) !== 0;
    // MS-FSA §2.1.5.1.1: a new file that is to be read-only cannot also be deleted on close.
    if (readOnly && deleteOnClose) throw new NtStatusError(Status.CANNOT_DELETE);
    const made = wantDir
      ? await vfs.mkdir(cred, parent!, last, { mode: NEW_DIR_MODE })
      : await vfs.create(cred, parent!, last, {
          kind: 'guarded',
          set: { mode: readOnly ? NEW_FILE_MODE & ~0o222 : NEW_FILE_MODE },
        });
    attr = made.obj;
    action = FILE_CREATED;
  }

  const fid = req.conn.server.newFileId();
  const open: Open = {
    persistentId: fid,
    volatileId: fid,
    session: req.session!,
    tree,
    id: attr.id,
    generation: attr.generation,
    isDir: attr.type === 'dir',
    parent,
    name: last,
    path: components.join('\\'),
    grantedAccess: access,
    deleteOnClose,
    position: 0,
    written: false,
  };
  const lm = req.conn.server.opts.locks?.(share.id);
  let file: Inode = attr;
  const finish = async (): Promise<Smb2Reply> => {
    let caching: CachingGrant = { oplockLevel: OPLOCK_LEVEL_NONE };
    try {
      // §3.3.5.9: the share access check (and the breaks it needs) comes before the file is touched.
      if (lm) await reserveShare(lm, req.conn, open, shareAccess);
      if (overwrite) file = (await vfs.setattr(cred, file.id, { size: 0 })).after;
      if (deleteOnClose && open.isDir && !(await isEmptyDir(open))) {
        throw new NtStatusError(Status.DIRECTORY_NOT_EMPTY);
      }
      if (lm && leaseCtx) caching = await grantLease(lm, req.conn, open, leaseCtx);
      else if (lm && requestedOplock !== OPLOCK_LEVEL_LEASE)
        caching = await grantOplock(lm, req.conn, open, requestedOplock);
    } catch (e) {
      await releaseShare(open).catch(() => undefined);
      throw e;
    }
    req.conn.opens.set(fid, open);
    req.createdFileId = { persistent: fid, volatile: fid };
    return ok(createResponse(action, file, fid, caching));
  };
  // §3.3.4.2: an open that may have to wait for another client's oplock or lease break answers
  // STATUS_PENDING at once and the result later, so the opener's connection keeps serving. Only
  // a CREATE standing alone goes async (a related compound needs its FileId now).
  if (lm?.hasLeases(file.id) && req.hdr.nextCommand === 0 && (req.hdr.flags & FLAGS_RELATED_OPERATIONS) === 0) {
    return goAsync(cancellable(finish(), (reply) => abandon(req, reply)));
  }
  return finish();
}

/** MS-SMB2 §2.2.14: the CREATE response, with the lease context after the 88-byte body when there is one. */
function createResponse(action: number, attr: Inode, fid: bigint, caching: CachingGrant): Buffer {
  const leaseResponse = caching.lease
    ? encodeLeaseResponse(caching.lease, caching.lease.state, caching.lease.breaking)
    : undefined;
  const w = new SmbWriter(88 + (leaseResponse?.length ?? 0));
  w.u16(89).u8(caching.oplockLevel).u8(0).u32(action);
  writeTimes(w, attr);
  w.u64(allocationSize(attr)).u64(endOfFile(attr)).u32(fileAttributes(attr)).u32(0);
  w.u64(fid).u64(fid);
  // CreateContextsOffset counts from the header; the contexts follow the body (8-aligned).
  if (leaseResponse)
    w.u32(64 + 88)
      .u32(leaseResponse.length)
      .bytes(leaseResponse);
  else w.u32(0).u32(0);
  return w.result();
}

/**
 * MS-SMB2 §3.3.5.16: a cancelled CREATE answers STATUS_CANCELLED at once; the
 * wait inside the lock manager cannot be withdrawn, so an open that succeeds
 * afterwards is closed again (`onLate`).
 */
function cancellable(work: Promise<Smb2Reply>, onLate: (reply: Smb2Reply) => void): AsyncWork {
  let cancelled = false;
  let answer: (r: Smb2Reply) => void = () => undefined;
  const onCancel = new Promise<Smb2Reply>((resolve) => (answer = resolve));
  work.then(
    (r) => {
      if (cancelled) onLate(r);
    },
    () => undefined,
  );
  return {
    final: Promise.race([work, onCancel]),
    cancel() {
      if (cancelled) return;
      cancelled = true;
      answer(errorReply(Status.CANCELLED));
    },
  };
}

/** An open made after its CREATE was cancelled: nobody knows its FileId, so close it. */
function abandon(req: Smb2Request, reply: Smb2Reply): void {
  const fid = req.createdFileId;
  if (reply.status !== Status.SUCCESS || !fid) return;
  const open = req.conn.opens.get(fid.volatile);
  if (!open) return;
  req.conn.opens.delete(fid.volatile);
  void releaseOpen(open).catch((err: unknown) => req.conn.log.debug({ err }, 'close of a cancelled open failed'));
}

/** Check the data access asked for against the POSIX permissions (the VFS checks the rest per operation). */
async function checkAccess(req: Smb2Request, attr: Inode, access: number): Promise<void> {
  const { vfs } = req.tree!.share!;
  let need = 0;
  if (access & (FILE_READ_DATA | FILE_EXECUTE)) need |= ACCESS_READ;
  if (access & (FILE_WRITE_DATA | FILE_APPEND_DATA)) need |= ACCESS_MODIFY;
  if (need === 0) return;
  const { granted } = await vfs.access(req.tree!.cred, attr.id, need);
  if ((granted & need) !== need) throw new NtStatusError(Status.ACCESS_DENIED);
}

export async function isEmptyDir(open: Open): Promise<boolean> {
  const res = await open.tree.share!.vfs.readdir(open.tree.cred, open.id, 0, 1);
  return res.entries.length === 0;
}
