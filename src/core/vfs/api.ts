import type { Credentials, DirEntry, FileId, FileType, FsStats, Inode, Timespec } from '../types.js';

/**
 * The seam between protocols and the file system: what NFSv3 (and later NLM,
 * NFSv4, SMB) call. One instance per share. Every method applies the POSIX
 * rules (permissions, sticky bit, nlink, timestamps, rename rules, name
 * rules) and throws {@link FsError} on failure. Credentials arrive already
 * squashed (see `identity.ts`).
 */
export interface VfsApi {
  readonly shareId: number;
  readonly readOnly: boolean;

  /** The share's root directory. */
  root(): FileId;
  /** Attributes of `id`; NOENT → throws STALE (the handle outlived its file). */
  getattr(id: FileId): Promise<Inode>;
  /** Throws STALE unless `id` exists with this generation. */
  checkHandle(id: FileId, generation: number): Promise<Inode>;

  /**
   * Change attributes. `guardCtime` (RFC 1813 §3.3.2 sattrguard3) makes the
   * call fail with NOT_SYNC unless the current ctime equals it.
   */
  setattr(cred: Credentials, id: FileId, set: SetAttrs, guardCtime?: Timespec): Promise<WccResult>;

  /** Resolve `name` in `dir`, including "." and "..". Needs search (x) on `dir`. */
  lookup(cred: Credentials, dir: FileId, name: string): Promise<Inode>;

  /** Which of the requested ACCESS bits the caller holds (NFSv3 ACCESS3_* bit values). */
  access(cred: Credentials, id: FileId, requested: number): Promise<{ granted: number; attr: Inode }>;

  readlink(cred: Credentials, id: FileId): Promise<{ target: string; attr: Inode }>;

  /**
   * Read up to `count` bytes; `eof` when the read reached the end of the file.
   * `known`: the attributes of `id` the caller read for this same request
   * (e.g. resolving its handle), so that they are not read a second time.
   */
  read(
    cred: Credentials,
    id: FileId,
    offset: number,
    count: number,
    known?: Inode,
  ): Promise<{ data: Buffer; eof: boolean; attr: Inode }>;

  /** Write `data` at `offset`; `stable` says what durability the caller asks for. */
  write(cred: Credentials, id: FileId, offset: number, data: Buffer, stable: StableHow): Promise<WriteResult>;

  /** Make everything written to `id` durable (NFSv3 COMMIT, SMB FLUSH). */
  commit(cred: Credentials, id: FileId): Promise<WccResult>;

  /**
   * Persist the metadata (size, times) of every UNSTABLE write so far, which
   * may otherwise stay in memory until COMMIT (RFC 1813 §3.3.7). For a clean
   * stop; optional.
   */
  flush?(): Promise<void>;

  /** Create a regular file. */
  create(cred: Credentials, dir: FileId, name: string, how: CreateHow): Promise<CreateResult>;
  mkdir(cred: Credentials, dir: FileId, name: string, set: SetAttrs): Promise<CreateResult>;
  symlink(cred: Credentials, dir: FileId, name: string, target: string, set: SetAttrs): Promise<CreateResult>;
  /** Device nodes, FIFOs and sockets (metadata only). */
  mknod(
    cred: Credentials,
    dir: FileId,
    name: string,
    type: Exclude<FileType, 'reg' | 'dir' | 'lnk'>,
    set: SetAttrs,
    rdev?: { major: number; minor: number },
  ): Promise<CreateResult>;

  /** Unlink a non-directory. */
  remove(cred: Credentials, dir: FileId, name: string): Promise<DirOpResult>;
  /** Remove an empty directory. */
  rmdir(cred: Credentials, dir: FileId, name: string): Promise<DirOpResult>;
  rename(cred: Credentials, fromDir: FileId, fromName: string, toDir: FileId, toName: string): Promise<RenameResult>;
  link(cred: Credentials, id: FileId, dir: FileId, name: string): Promise<LinkResult>;

  /**
   * List entries after `cookie` (0 = from the start). "." and ".." are not
   * returned: protocols that show them synthesise them. Cookies are stable
   * for an entry's lifetime and never reused; a cookie the directory never
   * handed out throws BADCOOKIE.
   */
  readdir(cred: Credentials, dir: FileId, cookie: number, limit: number): Promise<ReaddirResult>;

  /**
   * readdir, plus each entry's inode read in the same snapshot (NFSv3
   * READDIRPLUS, RFC 1813 §3.3.17): `attrs[i]` belongs to `entries[i]`, and is
   * undefined only if the entry points to a missing inode. Optional: callers
   * fall back to readdir + getattr per entry.
   */
  readdirPlus?(cred: Credentials, dir: FileId, cookie: number, limit: number): Promise<ReaddirPlusResult>;

  /** Cookie verifier for `dir` (opaque 8 bytes), stable while the directory exists. */
  cookieVerifier(dir: Inode): Buffer;

  statfs(): Promise<FsStats>;
}

export type StableHow = 'unstable' | 'data_sync' | 'file_sync';

/** Attributes a caller may set; absent fields are left alone. */
export interface SetAttrs {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** 'server' = set to the server's current time. */
  atime?: Timespec | 'server';
  mtime?: Timespec | 'server';
}

export type CreateHow =
  | { kind: 'unchecked'; set: SetAttrs }
  | { kind: 'guarded'; set: SetAttrs }
  /** RFC 1813 §3.3.8: a retry with the same verifier succeeds and returns the same file. */
  | { kind: 'exclusive'; verifier: Buffer };

/** Attributes before (when known) and after a change to one object. */
export interface WccResult {
  before?: Inode;
  after: Inode;
}

export interface WriteResult extends WccResult {
  count: number;
  /** What the server actually did: at least what was asked. */
  committed: StableHow;
}

export interface CreateResult {
  obj: Inode;
  dir: WccResult;
}

export interface DirOpResult {
  dir: WccResult;
}

export interface RenameResult {
  fromDir: WccResult;
  toDir: WccResult;
}

export interface LinkResult {
  obj: Inode;
  dir: WccResult;
}

export interface ReaddirResult {
  entries: DirEntry[];
  /** True when no entry follows the last one returned. */
  eof: boolean;
  dir: Inode;
}

export interface ReaddirPlusResult extends ReaddirResult {
  attrs: (Inode | undefined)[];
}

/** NFSv3 ACCESS bits (RFC 1813 §3.3.4), used as the VFS access vocabulary. */
export const ACCESS_READ = 0x01;
export const ACCESS_LOOKUP = 0x02;
export const ACCESS_MODIFY = 0x04;
export const ACCESS_EXTEND = 0x08;
export const ACCESS_DELETE = 0x10;
export const ACCESS_EXECUTE = 0x20;
