/** Wire constants of SMB2/3 (MS-SMB2 §2.2), one place for each. */

/** MS-SMB2 §2.2.1: command codes. */
export enum Command {
  NEGOTIATE = 0x0000,
  SESSION_SETUP = 0x0001,
  LOGOFF = 0x0002,
  TREE_CONNECT = 0x0003,
  TREE_DISCONNECT = 0x0004,
  CREATE = 0x0005,
  CLOSE = 0x0006,
  FLUSH = 0x0007,
  READ = 0x0008,
  WRITE = 0x0009,
  LOCK = 0x000a,
  IOCTL = 0x000b,
  CANCEL = 0x000c,
  ECHO = 0x000d,
  QUERY_DIRECTORY = 0x000e,
  CHANGE_NOTIFY = 0x000f,
  QUERY_INFO = 0x0010,
  SET_INFO = 0x0011,
  OPLOCK_BREAK = 0x0012,
}

export const COMMAND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Command)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v, k.toLowerCase()]),
);

/** MS-SMB2 §2.2.1.2: header flags. */
export const FLAGS_SERVER_TO_REDIR = 0x00000001;
export const FLAGS_ASYNC_COMMAND = 0x00000002;
export const FLAGS_RELATED_OPERATIONS = 0x00000004;
export const FLAGS_SIGNED = 0x00000008;

/** MS-SMB2 §2.2.3: dialect revisions. */
export const DIALECT_202 = 0x0202;
export const DIALECT_210 = 0x0210;
export const DIALECT_300 = 0x0300;
export const DIALECT_302 = 0x0302;
export const DIALECT_311 = 0x0311;
/** MS-SMB2 §3.3.5.3.1: the wildcard revision answered to an SMB1 negotiate offering "SMB 2.???". */
export const DIALECT_WILDCARD = 0x02ff;
/** Preference order, newest first. */
export const SUPPORTED_DIALECTS = [DIALECT_311, DIALECT_302, DIALECT_300, DIALECT_210, DIALECT_202] as const;

/** MS-SMB2 §2.2.3: SecurityMode. */
export const NEGOTIATE_SIGNING_ENABLED = 0x0001;
export const NEGOTIATE_SIGNING_REQUIRED = 0x0002;

/** MS-SMB2 §2.2.4: Capabilities. */
export const CAP_DFS = 0x00000001;
export const CAP_LEASING = 0x00000002;
export const CAP_LARGE_MTU = 0x00000004;
export const CAP_ENCRYPTION = 0x00000040;

/** MS-SMB2 §2.2.3.1: negotiate context types. */
export const PREAUTH_INTEGRITY_CAPABILITIES = 0x0001;
export const ENCRYPTION_CAPABILITIES = 0x0002;
export const SIGNING_CAPABILITIES = 0x0008;
export const HASH_SHA512 = 0x0001;
export const CIPHER_AES_128_CCM = 0x0001;
export const CIPHER_AES_128_GCM = 0x0002;
export const CIPHER_AES_256_CCM = 0x0003;
export const CIPHER_AES_256_GCM = 0x0004;
/** Server preference among the ciphers a 3.1.1 client offers (GCM is faster than CCM). */
export const CIPHER_PREFERENCE = [0x0002, 0x0001, 0x0004, 0x0003] as const;
export const SIGNING_HMAC_SHA256 = 0x0000;
export const SIGNING_AES_CMAC = 0x0001;

/** MS-SMB2 §2.2.5/§2.2.6: session setup flags. */
export const SESSION_FLAG_BINDING = 0x01;
export const SESSION_FLAG_IS_GUEST = 0x0001;
export const SESSION_FLAG_ENCRYPT_DATA = 0x0004;

/** MS-SMB2 §2.2.10: share types and flags. */
export const SHARE_TYPE_DISK = 0x01;
export const SHARE_TYPE_PIPE = 0x02;
/** SMB2_SHAREFLAG_NO_CACHING: we grant no oplocks, so clients should not cache offline either. */
export const SHAREFLAG_NO_CACHING = 0x00000030;

/** MS-SMB2 §2.2.13.1: access mask bits. */
export const FILE_READ_DATA = 0x00000001;
export const FILE_WRITE_DATA = 0x00000002;
export const FILE_APPEND_DATA = 0x00000004;
export const FILE_READ_EA = 0x00000008;
export const FILE_WRITE_EA = 0x00000010;
export const FILE_EXECUTE = 0x00000020;
export const FILE_DELETE_CHILD = 0x00000040;
export const FILE_READ_ATTRIBUTES = 0x00000080;
export const FILE_WRITE_ATTRIBUTES = 0x00000100;
export const DELETE = 0x00010000;
export const READ_CONTROL = 0x00020000;
export const WRITE_DAC = 0x00040000;
export const WRITE_OWNER = 0x00080000;
export const SYNCHRONIZE = 0x00100000;
export const ACCESS_SYSTEM_SECURITY = 0x01000000;
export const MAXIMUM_ALLOWED = 0x02000000;
export const GENERIC_ALL = 0x10000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_READ = 0x80000000;
/** Everything a file can grant (FILE_ALL_ACCESS). */
export const FILE_ALL_ACCESS = 0x001f01ff;
/** What a read-only grant allows (FILE_GENERIC_READ | FILE_GENERIC_EXECUTE). */
export const FILE_READ_ONLY_ACCESS = 0x001200a9;
/** Bits that modify the file or its directory entry. */
export const WRITE_ACCESS_MASK =
  FILE_WRITE_DATA |
  FILE_APPEND_DATA |
  FILE_WRITE_EA |
  FILE_WRITE_ATTRIBUTES |
  FILE_DELETE_CHILD |
  DELETE |
  WRITE_DAC |
  WRITE_OWNER;

/** MS-SMB2 §2.2.13: create dispositions. */
export enum Disposition {
  SUPERSEDE = 0,
  OPEN = 1,
  CREATE = 2,
  OPEN_IF = 3,
  OVERWRITE = 4,
  OVERWRITE_IF = 5,
}

/** MS-SMB2 §2.2.14: CreateAction. */
export const FILE_SUPERSEDED = 0;
export const FILE_OPENED = 1;
export const FILE_CREATED = 2;
export const FILE_OVERWRITTEN = 3;

/** MS-SMB2 §2.2.13: CreateOptions. */
export const FILE_DIRECTORY_FILE = 0x00000001;
export const FILE_WRITE_THROUGH = 0x00000002;
export const FILE_NON_DIRECTORY_FILE = 0x00000040;
export const FILE_DELETE_ON_CLOSE = 0x00001000;

/** MS-FSCC §2.6: file attributes. */
export const FILE_ATTRIBUTE_READONLY = 0x00000001;
export const FILE_ATTRIBUTE_TEMPORARY = 0x00000100;
export const FILE_ATTRIBUTE_HIDDEN = 0x00000002;
export const FILE_ATTRIBUTE_DIRECTORY = 0x00000010;
export const FILE_ATTRIBUTE_ARCHIVE = 0x00000020;
export const FILE_ATTRIBUTE_NORMAL = 0x00000080;

/** MS-SMB2 §2.2.26.1: SMB2_LOCK_ELEMENT Flags. */
export const LOCKFLAG_SHARED_LOCK = 0x00000001;
export const LOCKFLAG_EXCLUSIVE_LOCK = 0x00000002;
export const LOCKFLAG_UNLOCK = 0x00000004;
export const LOCKFLAG_FAIL_IMMEDIATELY = 0x00000010;

/** MS-SMB2 §2.2.15: CLOSE flags. */
export const CLOSE_FLAG_POSTQUERY_ATTRIB = 0x0001;

/** MS-SMB2 §2.2.21: WRITE flags. */
export const WRITEFLAG_WRITE_THROUGH = 0x00000001;

/** MS-SMB2 §2.2.33: QUERY_DIRECTORY flags. */
export const RESTART_SCANS = 0x01;
export const RETURN_SINGLE_ENTRY = 0x02;
export const INDEX_SPECIFIED = 0x04;
export const REOPEN = 0x10;

/** MS-SMB2 §2.2.37: QUERY_INFO / SET_INFO InfoType. */
export const INFO_FILE = 0x01;
export const INFO_FILESYSTEM = 0x02;
export const INFO_SECURITY = 0x03;
export const INFO_QUOTA = 0x04;

/** MS-FSCC §2.4: file information classes. */
export enum FileInfoClass {
  Directory = 1,
  FullDirectory = 2,
  BothDirectory = 3,
  Basic = 4,
  Standard = 5,
  Internal = 6,
  Ea = 7,
  Access = 8,
  Name = 9,
  Rename = 10,
  Names = 12,
  Disposition = 13,
  Position = 14,
  Mode = 16,
  Alignment = 17,
  All = 18,
  Allocation = 19,
  EndOfFile = 20,
  AlternateName = 21,
  Stream = 22,
  Compression = 28,
  NetworkOpen = 34,
  AttributeTag = 35,
  IdBothDirectory = 37,
  IdFullDirectory = 38,
  DispositionEx = 64,
  NormalizedName = 48,
}

/** MS-FSCC §2.5: file-system information classes. */
export enum FsInfoClass {
  Volume = 1,
  Size = 3,
  Device = 4,
  Attribute = 5,
  Control = 6,
  FullSize = 7,
  ObjectId = 8,
  SectorSize = 11,
}

/** MS-FSCC §2.3: FSCTL codes the server knows. */
export const FSCTL_VALIDATE_NEGOTIATE_INFO = 0x00140204;
export const SMB2_0_IOCTL_IS_FSCTL = 0x00000001;

/** MS-SMB2 §2.2.14.1: the FileId meaning "the file of the previous related request". */
export const FILE_ID_RELATED = 0xffffffffffffffffn;

/** The header is 64 bytes (MS-SMB2 §2.2.1). */
export const HEADER_SIZE = 64;
/** "\xFESMB" and "\xFFSMB" as little-endian u32. */
export const SMB2_MAGIC = 0x424d53fe;
export const SMB1_MAGIC = 0x424d53ff;
export const TRANSFORM_MAGIC = 0x424d53fd;
