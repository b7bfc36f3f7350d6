import type { Inode } from '../../../core/types.js';
import { FileInfoClass, FsInfoClass, HEADER_SIZE, INFO_FILE, INFO_FILESYSTEM, INFO_SECURITY } from '../constants.js';
import { nowFiletime } from '../filetime.js';
import { ALLOCATION_UNIT, fileAttributes, writeBasicInfo, writeNetworkOpenInfo, writeStandardInfo } from '../fscc.js';
import type { Smb2Reply, Smb2Request } from '../handler.js';
import type { Open } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbWriter } from '../wire.js';

/** Info classes whose answer has a variable part: a short buffer gets BUFFER_OVERFLOW and a truncated answer. */
const VARIABLE_FILE = new Set<number>([FileInfoClass.All, FileInfoClass.Name, FileInfoClass.Stream]);
const VARIABLE_FS = new Set<number>([FsInfoClass.Volume, FsInfoClass.Attribute]);

/** MS-FSCC §2.5.1: what the volume says it can do: case-sensitive search and preserved case, Unicode names. */
const FS_ATTRIBUTES = 0x00000001 | 0x00000002 | 0x00000004;
const MAX_COMPONENT = 255;

/**
 * MS-SMB2 §3.3.5.20: QUERY_INFO for file, file-system and security
 * information. Quota information is NOT_SUPPORTED; unknown classes are
 * INVALID_INFO_CLASS (as Windows answers them).
 */
export async function queryInfo(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(41);
  const infoType = r.u8();
  const infoClass = r.u8();
  const outputLength = r.u32();
  r.skip(2 + 2 + 4);
  const additional = r.u32();
  r.skip(4);
  const open = req.readOpen(r);
  const { vfs } = open.tree.share!;
  const attr = await vfs.getattr(open.id);
  let data: Buffer;
  let variable: boolean;
  switch (infoType) {
    case INFO_FILE:
      data = fileInfo(open, attr, infoClass);
      variable = VARIABLE_FILE.has(infoClass);
      break;
    case INFO_FILESYSTEM:
      data = await fsInfo(open, infoClass);
      variable = VARIABLE_FS.has(infoClass);
      break;
    case INFO_SECURITY:
      data = securityDescriptor(attr, additional);
      if (data.length > outputLength) {
        // §3.3.5.20.3: too small for the descriptor: BUFFER_TOO_SMALL with the size needed as error data.
        const body = new SmbWriter(12).u16(9).u8(0).u8(0).u32(4).u32(data.length).result();
        return { status: Status.BUFFER_TOO_SMALL, body };
      }
      variable = false;
      break;
    default:
      throw new NtStatusError(Status.NOT_SUPPORTED, `info type ${infoType}`);
  }
  let status: number = Status.SUCCESS;
  if (data.length > outputLength) {
    if (!variable) throw new NtStatusError(Status.INFO_LENGTH_MISMATCH);
    data = data.subarray(0, outputLength);
    status = Status.BUFFER_OVERFLOW;
  }
  const body = new SmbWriter(8)
    .u16(9)
    .u16(HEADER_SIZE + 8)
    .u32(data.length)
    .result();
  return { status, body, payload: data };
}

function fileInfo(open: Open, attr: Inode, cls: number): Buffer {
  const w = new SmbWriter(128);
  const name = Buffer.from('\\' + open.path, 'utf16le');
  switch (cls) {
    case FileInfoClass.Basic:
      writeBasicInfo(w, attr);
      break;
    case FileInfoClass.Standard:
      writeStandardInfo(w, attr, open.deleteOnClose);
      break;
    case FileInfoClass.Internal:
      w.u64(attr.id);
      break;
    case FileInfoClass.Ea:
      w.u32(0);
      break;
    case FileInfoClass.Access:
      w.u32(open.grantedAccess);
      break;
    case FileInfoClass.Name:
      w.u32(name.length).bytes(name);
      break;
    case FileInfoClass.Position:
      w.u64(open.position);
      break;
    case FileInfoClass.Mode:
      w.u32(0);
      break;
    case FileInfoClass.Alignment:
      w.u32(0);
      break;
    case FileInfoClass.All:
      // MS-FSCC §2.4.2: Basic, Standard, Internal, Ea, Access, Position, Mode, Alignment, Name.
      writeBasicInfo(w, attr);
      writeStandardInfo(w, attr, open.deleteOnClose);
      w.u64(attr.id).u32(0).u32(open.grantedAccess).u64(open.position).u32(0).u32(0);
      w.u32(name.length).bytes(name);
      break;
    case FileInfoClass.NetworkOpen:
      writeNetworkOpenInfo(w, attr);
      break;
    case FileInfoClass.AttributeTag:
      w.u32(fileAttributes(attr)).u32(0);
      break;
    case FileInfoClass.Stream:
      // MS-FSCC §2.4.43: files have one unnamed data stream, directories none.
      if (attr.type !== 'dir') {
        const sname = Buffer.from('::$DATA', 'utf16le');
        w.u32(0)
          .u32(sname.length)
          .u64(attr.size)
          .u64(Math.ceil(attr.size / ALLOCATION_UNIT) * ALLOCATION_UNIT);
        w.bytes(sname);
      }
      break;
    case FileInfoClass.AlternateName:
      // No 8.3 short names are generated; NOT_SUPPORTED is what clients (smbclient allinfo) skip over.
      throw new NtStatusError(Status.NOT_SUPPORTED, 'no short names');
    default:
      throw new NtStatusError(Status.INVALID_INFO_CLASS, `file info class ${cls}`);
  }
  return w.result();
}

async function fsInfo(open: Open, cls: number): Promise<Buffer> {
  const share = open.tree.share!;
  const w = new SmbWriter(64);
  switch (cls) {
    case FsInfoClass.Volume: {
      const label = Buffer.from(share.name.replace(/^\/+/, ''), 'utf16le');
      w.u64(nowFiletime()).u32(share.id).u32(label.length).u8(0).u8(0).bytes(label);
      break;
    }
    case FsInfoClass.Size: {
      const st = await share.vfs.statfs();
      w.u64(Math.floor(st.totalBytes / ALLOCATION_UNIT)).u64(Math.floor(st.availBytes / ALLOCATION_UNIT));
      w.u32(ALLOCATION_UNIT / 512).u32(512);
      break;
    }
    case FsInfoClass.FullSize: {
      const st = await share.vfs.statfs();
      w.u64(Math.floor(st.totalBytes / ALLOCATION_UNIT)).u64(Math.floor(st.availBytes / ALLOCATION_UNIT));
      w.u64(Math.floor(st.freeBytes / ALLOCATION_UNIT))
        .u32(ALLOCATION_UNIT / 512)
        .u32(512);
      break;
    }
    case FsInfoClass.Device:
      // FILE_DEVICE_DISK, no characteristics.
      w.u32(0x00000007).u32(0);
      break;
    case FsInfoClass.Attribute: {
      // "NTFS" as Samba reports: clients switch features on the name, and DittoFS behaves like it here.
      const fsName = Buffer.from('NTFS', 'utf16le');
      w.u32(share.vfs.readOnly ? FS_ATTRIBUTES | 0x00080000 : FS_ATTRIBUTES)
        .u32(MAX_COMPONENT)
        .u32(fsName.length);
      w.bytes(fsName);
      break;
    }
    case FsInfoClass.SectorSize:
      // MS-FSCC §2.5.7: 512-byte logical and 4 KiB physical sectors, aligned.
      w.u32(512).u32(ALLOCATION_UNIT).u32(ALLOCATION_UNIT).u32(ALLOCATION_UNIT).u32(0x3).u32(0).u32(0);
      break;
    default:
      throw new NtStatusError(Status.INVALID_INFO_CLASS, `fs info class ${cls}`);
  }
  return w.result();
}

const OWNER_SECURITY_INFORMATION = 0x1;
const GROUP_SECURITY_INFORMATION = 0x2;

/** A SID S-1-22-{1|2}-id: Samba's "Unix user"/"Unix group" authority for ids without a Windows account. */
function unixSid(kind: 1 | 2, id: number): Buffer {
  const w = new SmbWriter(16);
  w.u8(1)
    .u8(2)
    .bytes(Buffer.from([0, 0, 0, 0, 0, 22]))
    .u32(kind)
    .u32(id);
  return w.result();
}

/**
 * MS-DTYP §2.4.6: a self-relative security descriptor with the owner and
 * group asked for and no DACL (no ACL mapping yet: the mode bits decide).
 */
function securityDescriptor(attr: Inode, additional: number): Buffer {
  const owner = additional & OWNER_SECURITY_INFORMATION ? unixSid(1, attr.uid) : undefined;
  const group = additional & GROUP_SECURITY_INFORMATION ? unixSid(2, attr.gid) : undefined;
  const w = new SmbWriter(64);
  const SE_SELF_RELATIVE = 0x8000;
  w.u8(1).u8(0).u16(SE_SELF_RELATIVE);
  const ownerOff = owner ? 20 : 0;
  const groupOff = group ? 20 + (owner?.length ?? 0) : 0;
  w.u32(ownerOff).u32(groupOff).u32(0).u32(0);
  if (owner) w.bytes(owner);
  if (group) w.bytes(group);
  return w.result();
}
