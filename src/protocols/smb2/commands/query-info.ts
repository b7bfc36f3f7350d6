import type { Inode } from '../../../core/types.js';
import {
  DIALECT_311,
  FileInfoClass,
  FsInfoClass,
  HEADER_SIZE,
  INFO_FILE,
  INFO_FILESYSTEM,
  INFO_SECURITY,
} from '../constants.js';
import { toFiletime } from '../filetime.js';
import {
  ALLOCATION_UNIT,
  endOfFile,
  fileAttributes,
  writeBasicInfo,
  writeNetworkOpenInfo,
  writeStandardInfo,
} from '../fscc.js';
import type { Smb2Reply, Smb2Request } from '../handler.js';
import type { Open } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbWriter } from '../wire.js';

/**
 * The fixed part of each class's answer: sizeof() of the Windows structure,
 * trailing name arrays padded as the compiler pads them. MS-SMB2 §3.3.5.20.1
 * hands the buffer to the object store, and MS-FSA §2.1.5.12 fails a buffer
 * smaller than this with INFO_LENGTH_MISMATCH; a buffer holding the fixed
 * part but not the variable part (names) gets BUFFER_OVERFLOW and as much
 * as fits. Fixed-size classes thus never overflow: too small is a mismatch.
 */
const FILE_MIN = new Map<number, number>([
  [FileInfoClass.Basic, 40],
  [FileInfoClass.Standard, 24],
  [FileInfoClass.Internal, 8],
  [FileInfoClass.Ea, 4],
  [FileInfoClass.Access, 4],
  [FileInfoClass.Name, 8],
  [FileInfoClass.Position, 8],
  [FileInfoClass.Mode, 4],
  [FileInfoClass.Alignment, 4],
  [FileInfoClass.All, 104],
  [FileInfoClass.AlternateName, 8],
  [FileInfoClass.Stream, 32],
  [FileInfoClass.Compression, 16],
  [FileInfoClass.NormalizedName, 8],
  [FileInfoClass.NetworkOpen, 56],
  [FileInfoClass.AttributeTag, 8],
]);
const FS_MIN = new Map<number, number>([
  [FsInfoClass.Volume, 24],
  [FsInfoClass.Size, 24],
  [FsInfoClass.Device, 8],
  [FsInfoClass.Attribute, 16],
  [FsInfoClass.Control, 48],
  [FsInfoClass.FullSize, 32],
  [FsInfoClass.ObjectId, 64],
  [FsInfoClass.SectorSize, 28],
]);

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
  let min: number;
  switch (infoType) {
    case INFO_FILE:
      data = fileInfo(open, attr, infoClass, req.conn.dialect);
      min = FILE_MIN.get(infoClass) ?? 0;
      break;
    case INFO_FILESYSTEM:
      data = await fsInfo(open, infoClass);
      min = FS_MIN.get(infoClass) ?? 0;
      break;
    case INFO_SECURITY:
      data = securityDescriptor(attr, additional);
      if (data.length > outputLength) {
        // §3.3.5.20.3: too small for the descriptor: BUFFER_TOO_SMALL with the size needed as error data.
        const body = new SmbWriter(12).u16(9).u8(0).u8(0).u32(4).u32(data.length).result();
        return { status: Status.BUFFER_TOO_SMALL, body };
      }
      min = 0;
      break;
    default:
      throw new NtStatusError(Status.NOT_SUPPORTED, `info type ${infoType}`);
  }
  let status: number = Status.SUCCESS;
  if (outputLength < min) throw new NtStatusError(Status.INFO_LENGTH_MISMATCH);
  if (data.length > outputLength) {
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

function fileInfo(open: Open, attr: Inode, cls: number, dialect: number): Buffer {
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
    case FileInfoClass.AlternateName: {
      // MS-FSCC §2.4.5: the 8.3 name. None are generated, but a name that
      // already is a valid 8.3 name is its own short name (as NTFS and Samba
      // answer). Other names have none: NOT_SUPPORTED is what clients
      // (smbclient allinfo) skip over.
      const last = open.path.slice(open.path.lastIndexOf('\\') + 1);
      if (!isShortName(last)) throw new NtStatusError(Status.NOT_SUPPORTED, 'no short name');
      const short = Buffer.from(last.toUpperCase(), 'utf16le');
      w.u32(short.length).bytes(short);
      break;
    }
    case FileInfoClass.NormalizedName: {
      // MS-SMB2 §3.3.5.20.1: 3.1.1 only. MS-FSCC §2.4.30: the path from the share root without a
      // leading backslash; names are case-sensitive here, so the path as opened is the stored one.
      if (dialect < DIALECT_311) throw new NtStatusError(Status.NOT_SUPPORTED, 'normalized name before 3.1.1');
      const normalized = Buffer.from(open.path, 'utf16le');
      w.u32(normalized.length).bytes(normalized);
      break;
    }
    case FileInfoClass.Compression:
      // MS-FSCC §2.4.9: not compressed: CompressedFileSize is the size, COMPRESSION_FORMAT_NONE, shifts 0.
      w.u64(endOfFile(attr)).u16(0).u8(0).u8(0).u8(0).u8(0).u16(0);
      break;
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
      // VolumeCreationTime: the share root's birth, so the answer is the same on every query.
      const root = await share.vfs.getattr(share.vfs.root());
      w.u64(toFiletime(root.btime)).u32(share.id).u32(label.length).u8(0).u8(0).bytes(label);
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
    case FsInfoClass.Control:
      // MS-FSCC §2.5.2 FileFsControlInformation: no content indexing, no
      // quotas (FileSystemControlFlags 0, default threshold and limit "none").
      w.u64(0).u64(0).u64(0).u64(NO_QUOTA).u64(NO_QUOTA).u32(0).u32(0);
      break;
    case FsInfoClass.ObjectId: {
      // MS-FSCC §2.5.6 FileFsObjectIdInformation: a volume GUID (stable per
      // share: its id in the first four bytes) and 48 bytes of ExtendedInfo.
      const guid = Buffer.alloc(16);
      guid.writeUInt32LE(share.id, 0);
      guid.write('DittoFS!', 8, 'latin1');
      w.bytes(guid).bytes(Buffer.alloc(48));
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

/** MS-FSCC §2.5.2: a quota threshold or limit of "no limit". */
const NO_QUOTA = 0xffffffffffffffffn;

/**
 * A valid 8.3 (MS-FSCC §2.1.5.2.1) name: 1-8 characters, optionally a dot
 * and 1-3 more, none of them a space, dot, or a character 8.3 names forbid;
 * compared case-insensitively, as short names are.
 */
function isShortName(name: string): boolean {
  return /^[A-Za-z0-9!#$%&'()@^_`{}~-]{1,8}(\.[A-Za-z0-9!#$%&'()@^_`{}~-]{1,3})?$/.test(name);
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
