import { randomInt } from 'node:crypto';
import { FsError } from '../errors.js';
import type { Credentials, FileId, FileType, FsStats, Inode, Timespec } from '../types.js';
import { ROOT_ID } from '../types.js';
import type { Logger } from '../../observability/logger.js';
import { silentLogger } from '../../observability/logger.js';
import type { BlockStore } from '../../storage/block/store.js';
import type { MetadataReadTx, MetadataStore, MetadataWriteTx } from '../../storage/metadata/store.js';
import type {
  CreateHow,
  CreateResult,
  DirOpResult,
  LinkResult,
  ReaddirPlusResult,
  ReaddirResult,
  RenameResult,
  SetAttrs,
  StableHow,
  VfsApi,
  WccResult,
  WriteResult,
} from './api.js';
import { ACCESS_DELETE, ACCESS_EXECUTE, ACCESS_EXTEND, ACCESS_LOOKUP, ACCESS_MODIFY, ACCESS_READ } from './api.js';
import { checkLookupName, checkNewName, checkRemoveName, checkSymlinkTarget, DEFAULT_MAX_NAME_BYTES } from './names.js';
import {
  inGroup,
  MAY_EXEC,
  MAY_READ,
  MAY_WRITE,
  mayAccess,
  requireAccess,
  requireDataAccess,
  requireStickyOk,
  S_ISGID,
  S_ISUID,
} from './permissions.js';
import { DirtyAttrs, OverlayReadTx, OverlayWriteTx } from './dirty-attrs.js';
import { atimeDue, checkTime, compareTime, sameTime, systemClock, type Clock } from './times.js';

export interface VfsOptions {
  shareId: number;
  meta: MetadataStore;
  blocks: BlockStore;
  /** Every modification fails with ROFS. */
  readOnly?: boolean;
  logger?: Logger;
  /** Longest entry name in UTF-8 bytes (default 255). */
  maxNameBytes?: number;
  clock?: Clock;
  /** Reported file-system size for FSSTAT (default 1 TiB). */
  capacityBytes?: number;
  /** Reported inode capacity for FSSTAT (default 2^32). */
  maxFiles?: number;
  /** Most hard links to one inode / subdirectories of one directory (default 32000, ext4-like). */
  maxLinks?: number;
  /** Largest single READ (default 16 MiB): a safety cap, protocols advertise their own smaller one. */
  maxIoBytes?: number;
  /**
   * Milliseconds after an UNSTABLE write before its size/mtime are persisted
   * when no COMMIT came first (default 1000; 0 = only COMMIT, stable writes,
   * other updates of the file and {@link Vfs.flush} persist them).
   */
  attrFlushMs?: number;
}

export interface VfsCreateOptions extends VfsOptions {
  rootMode?: number;
  rootUid?: number;
  rootGid?: number;
}

/** Logical size of a file while stable writes of it are committing, see Vfs.write. */
interface InflightSize {
  size: number;
  writes: number;
  /** The metadata update of the latest of those writes (updates commit in order). */
  last: Promise<unknown>;
}

/** Content to delete once the transaction that dropped the last link of `id` has committed. */
interface Drop {
  id: FileId;
  contentId: string;
}

/** st_size reported for directories. */
const DIR_SIZE = 4096;
/** The first cookie handed out in a directory: 0 means "start", 1 and 2 are left for "." and "..". */
export const FIRST_COOKIE = 3;

function newGeneration(): number {
  return randomInt(1, 0x1_0000_0000);
}

function isDir(i: Inode): boolean {
  return i.type === 'dir';
}

/** READ/WRITE/truncate apply to regular files only. */
function requireRegular(i: Inode): void {
  if (i.type === 'reg') return;
  throw new FsError(i.type === 'dir' ? 'ISDIR' : 'INVAL');
}

function requireDir(i: Inode): void {
  if (i.type !== 'dir') throw new FsError('NOTDIR');
}

/** Drop the exclusive-create verifier (RFC 1813 §3.3.8: it lives only until the first SETATTR). */
function withoutVerf(i: Inode): Inode {
  if (i.createVerf === undefined) return i;
  const { createVerf: _dropped, ...rest } = i;
  return rest;
}

/** One group of holders of a file's lock: one exclusive holder, or any number of shared ones. */
interface LockGroup {
  shared: boolean;
  holders: number;
  /** Still admitting shared holders (until its last holder leaves). */
  joinable: boolean;
  /** Resolves when the group may run (the previous group is done). */
  started: Promise<void>;
  /** Resolves when its last holder released. */
  done: Promise<void>;
  open: () => void;
}

/**
 * Per-file FIFO of the data operations (writes, truncates, content deletion),
 * so that they reach the block store in call order while other files and the
 * metadata store go on in parallel. UNSTABLE writes of a file whose content
 * holds nothing past its logical size are shared holders: they run
 * concurrently with each other (their order is the client's to choose, RFC
 * 1813 §3.3.7), and wait for and hold up the exclusive ones. An idle file
 * costs no map entry.
 */
class FileQueue {
  private readonly tails = new Map<FileId, LockGroup>();

  /** Waits for the earlier holders of `id`; the returned release may be called more than once. */
  async acquire(id: FileId, shared = false): Promise<() => void> {
    const previous = this.tails.get(id);
    let g: LockGroup;
    if (shared && previous !== undefined && previous.shared && previous.joinable) {
      g = previous;
      g.holders++;
    } else {
      let open!: () => void;
      const done = new Promise<void>((r) => (open = r));
      g = { shared, holders: 1, joinable: true, started: previous?.done ?? Promise.resolve(), done, open };
      this.tails.set(id, g);
    }
    await g.started;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--g.holders > 0) return;
      g.joinable = false;
      g.open();
      if (this.tails.get(id) === g) this.tails.delete(id);
    };
  }
}

/** Dirty inodes of one transaction, keyed by id so that one object (e.g. fromDir === toDir) gets all changes. */
class Pending {
  private readonly dirty = new Map<FileId, Inode>();
  cur(i: Inode): Inode {
    return this.dirty.get(i.id) ?? i;
  }
  set(i: Inode): Inode {
    this.dirty.set(i.id, i);
    return i;
  }
  forget(id: FileId): void {
    this.dirty.delete(id);
  }
  async flush(tx: MetadataWriteTx): Promise<void> {
    for (const i of this.dirty.values()) await tx.putInode(i);
  }
}

/**
 * The POSIX file system of one share (DESIGN.md "core/vfs"): every rule —
 * permissions, sticky bit, setgid inheritance, nlink, timestamps, rename and
 * name rules, size/EOF, sparse reads — is applied here, over a dumb
 * transactional metadata store and a block store.
 *
 * Each operation is one metadata transaction; the hot paths (getattr, lookup,
 * read) are one read-only view. A write puts its data in the block store first,
 * outside any transaction, then updates size/mtime in a short one; a per-file
 * queue keeps the data, truncates and content deletion of one file in order. Content of a
 * file whose last link went away is deleted from the block store after the
 * transaction commits (a crash in between leaves an orphan, never a dangling
 * reference). Inode objects are treated as immutable: changes build new ones.
 */
export class Vfs implements VfsApi {
  readonly shareId: number;
  readonly readOnly: boolean;
  private readonly meta: MetadataStore;
  private readonly blocks: BlockStore;
  private readonly log: Logger;
  private readonly maxName: number;
  private readonly clock: Clock;
  private readonly capacity: number;
  private readonly maxFiles: number;
  private readonly maxLinks: number;
  private readonly maxIo: number;
  private readonly fileQueue = new FileQueue();
  /**
   * Files whose block-store content holds nothing past their logical size (known since this
   * Vfs cut it): their UNSTABLE writes need no truncate first and share the file queue.
   */
  private readonly clean = new Set<FileId>();
  /**
   * Logical size of files with writes whose metadata commit may not be visible
   * to views yet (see write), and how many such writes there are.
   */
  private readonly inflightSize = new Map<FileId, InflightSize>();
  /** Size and times of UNSTABLE writes not persisted yet (RFC 1813 §3.3.7), see dirty-attrs.ts. */
  private readonly dirty = new DirtyAttrs();
  private readonly attrFlushMs: number;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(opts: VfsOptions) {
    this.shareId = opts.shareId;
    this.meta = opts.meta;
    this.blocks = opts.blocks;
    this.readOnly = opts.readOnly ?? false;
    this.log = opts.logger ?? silentLogger;
    this.maxName = opts.maxNameBytes ?? DEFAULT_MAX_NAME_BYTES;
    this.clock = opts.clock ?? systemClock;
    this.capacity = opts.capacityBytes ?? 2 ** 40;
    this.maxFiles = opts.maxFiles ?? 2 ** 32;
    this.maxLinks = opts.maxLinks ?? 32_000;
    this.maxIo = opts.maxIoBytes ?? 16 * 1024 * 1024;
    this.attrFlushMs = opts.attrFlushMs ?? 1000;
  }

  /** Open both stores and create the root directory (ROOT_ID) if the share is new. */
  static async create(opts: VfsCreateOptions): Promise<Vfs> {
    const vfs = new Vfs(opts);
    await opts.blocks.open();
    const now = vfs.clock();
    await opts.meta.open({
      rootInode: {
        id: ROOT_ID,
        generation: newGeneration(),
        type: 'dir',
        mode: (opts.rootMode ?? 0o755) & 0o7777,
        nlink: 2,
        uid: opts.rootUid ?? 0,
        gid: opts.rootGid ?? 0,
        size: DIR_SIZE,
        rdev: { major: 0, minor: 0 },
        atime: now,
        mtime: now,
        ctime: now,
        btime: now,
        change: 1,
        nextCookie: FIRST_COOKIE,
        parent: ROOT_ID,
      },
    });
    return vfs;
  }

  root(): FileId {
    return ROOT_ID;
  }

  async getattr(id: FileId): Promise<Inode> {
    const stored = await this.meta.view((tx) => tx.getInode(id));
    const ino = this.dirty.size === 0 ? stored : this.dirty.apply(stored, id);
    if (ino === undefined) throw new FsError('STALE');
    return ino;
  }

  async checkHandle(id: FileId, generation: number): Promise<Inode> {
    const ino = await this.getattr(id);
    if (ino.generation !== generation) throw new FsError('STALE');
    return ino;
  }

  async setattr(cred: Credentials, id: FileId, set: SetAttrs, guardCtime?: Timespec): Promise<WccResult> {
    this.writable();
    const now = this.clock();
    const atime = set.atime === undefined || set.atime === 'server' ? set.atime : checkTime(set.atime);
    const mtime = set.mtime === undefined || set.mtime === 'server' ? set.mtime : checkTime(set.mtime);
    if (set.size !== undefined) this.checkSize(set.size);
    if (set.size === undefined) return this.setattrTx(cred, id, set, guardCtime, now, atime, mtime);
    // A size change is a data operation: ordered with this file's writes.
    const release = await this.fileQueue.acquire(id);
    try {
      const r = await this.setattrTx(cred, id, set, guardCtime, now, atime, mtime);
      const hint = this.inflightSize.get(id);
      if (hint !== undefined) hint.size = r.after.size;
      return r;
    } finally {
      release();
    }
  }

  private setattrTx(
    cred: Credentials,
    id: FileId,
    set: SetAttrs,
    guardCtime: Timespec | undefined,
    now: Timespec,
    atime: Timespec | 'server' | undefined,
    mtime: Timespec | 'server' | undefined,
  ): Promise<WccResult> {
    return this.update(async (tx) => {
      const before = await this.mustGet(tx, id);
      // RFC 1813 §3.3.2: the guard compares the object's ctime.
      if (guardCtime !== undefined && !sameTime(before.ctime, guardCtime)) throw new FsError('NOT_SYNC');
      const isRoot = cred.uid === 0;
      const isOwner = cred.uid === before.uid;
      let after = withoutVerf(before);
      let changed = false;

      if (set.size !== undefined) {
        requireRegular(before);
        requireDataAccess(cred, before, MAY_WRITE);
      }
      if (set.mode !== undefined && before.type !== 'lnk') {
        // chmod(2): owner or root only.
        if (!isRoot && !isOwner) throw new FsError('PERM');
        let mode = set.mode & 0o7777;
        // chmod(2): a non-root owner cannot set setgid on a file whose group it is not in; the bit is dropped.
        if (!isRoot && !isDir(before) && (mode & S_ISGID) !== 0 && !inGroup(cred, before.gid)) mode &= ~S_ISGID;
        after = { ...after, mode };
        changed = true;
      }
      const uidChanges = set.uid !== undefined && set.uid !== before.uid;
      const gidChanges = set.gid !== undefined && set.gid !== before.gid;
      if (uidChanges && !isRoot) throw new FsError('PERM');
      // chown(2): the owner may change the group to one it belongs to.
      if (gidChanges && !isRoot && !(isOwner && inGroup(cred, set.gid!))) throw new FsError('PERM');
      if (set.uid !== undefined || set.gid !== undefined) {
        after = { ...after, uid: set.uid ?? after.uid, gid: set.gid ?? after.gid };
        // chown(2): changing ownership of a non-directory clears setuid/setgid (unless the same call sets the mode).
        if ((uidChanges || gidChanges) && !isDir(before) && set.mode === undefined) {
          after = { ...after, mode: after.mode & ~(S_ISUID | S_ISGID) };
        }
        changed = true;
      }
      if (atime !== undefined || mtime !== undefined) {
        const explicit = (atime !== undefined && atime !== 'server') || (mtime !== undefined && mtime !== 'server');
        // utimensat(2): explicit times need the owner (EPERM); "now" also allows anyone with write access (EACCES).
        if (!isRoot && !isOwner) {
          if (explicit) throw new FsError('PERM');
          requireAccess(cred, before, MAY_WRITE);
        }
        after = {
          ...after,
          atime: atime === undefined ? after.atime : atime === 'server' ? now : atime,
          mtime: mtime === undefined ? after.mtime : mtime === 'server' ? now : mtime,
        };
        changed = true;
      }
      if (set.size !== undefined) {
        if (set.size !== before.size) {
          // truncate(2): the size change updates mtime and ctime.
          after = { ...after, size: set.size, mtime: mtime === undefined ? now : after.mtime };
          if (before.contentId !== undefined) {
            // Serialized with this file's writes by the file queue (see setattr). Growing cuts at the
            // old size: whatever lies beyond the logical size is garbage and must read as zeros.
            await this.blocks.truncate(before.contentId, Math.min(set.size, before.size));
          }
        }
        changed = true;
      }
      if (changed) after = { ...after, ctime: now, change: before.change + 1 };
      if (after !== before) await tx.putInode(after);
      return { before, after };
    });
  }

  async lookup(cred: Credentials, dir: FileId, name: string): Promise<Inode> {
    const isDot = name === '.';
    const isDotDot = name === '..';
    if (!isDot && !isDotDot) checkLookupName(name, this.maxName);
    return this.view(async (tx) => {
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      requireAccess(cred, d, MAY_EXEC);
      if (isDot) return d;
      if (isDotDot) return d.id === ROOT_ID ? d : this.mustGet(tx, d.parent ?? ROOT_ID);
      const e = await tx.lookup(dir, name);
      if (e === undefined) throw new FsError('NOENT');
      const child = await tx.getInode(e.id);
      if (child === undefined) {
        this.log.error({ dir, name, id: e.id }, 'directory entry points to a missing inode');
        throw new FsError('IO');
      }
      return child;
    });
  }

  async access(cred: Credentials, id: FileId, requested: number): Promise<{ granted: number; attr: Inode }> {
    const attr = await this.getattr(id);
    const r = mayAccess(cred, attr, MAY_READ);
    const x = mayAccess(cred, attr, MAY_EXEC);
    const w = !this.readOnly && mayAccess(cred, attr, MAY_WRITE);
    let granted = r ? ACCESS_READ : 0;
    // RFC 1813 §3.3.4: LOOKUP and DELETE mean something for directories only, EXECUTE for files only.
    if (isDir(attr)) {
      if (x) granted |= ACCESS_LOOKUP;
      if (w && x) granted |= ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_DELETE;
    } else {
      if (x) granted |= ACCESS_EXECUTE;
      if (w) granted |= ACCESS_MODIFY | ACCESS_EXTEND;
    }
    return { granted: granted & requested, attr };
  }

  async readlink(_cred: Credentials, id: FileId): Promise<{ target: string; attr: Inode }> {
    const attr = await this.getattr(id);
    if (attr.type !== 'lnk') throw new FsError('INVAL');
    return { target: attr.symlink ?? '', attr };
  }

  async read(
    cred: Credentials,
    id: FileId,
    offset: number,
    count: number,
    known?: Inode,
  ): Promise<{ data: Buffer; eof: boolean; attr: Inode }> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(count) || count < 0) {
      throw new FsError('INVAL');
    }
    let attr = known !== undefined && known.id === id ? known : await this.getattr(id);
    requireRegular(attr);
    requireDataAccess(cred, attr, MAY_READ);
    const size = attr.size;
    const n = offset >= size ? 0 : Math.min(count, this.maxIo, size - offset);
    let data: Buffer;
    if (n === 0) data = Buffer.alloc(0);
    else if (attr.contentId === undefined) data = Buffer.alloc(n);
    else data = await this.blocks.read(attr.contentId, offset, n);
    const now = this.clock();
    if (!this.readOnly && atimeDue(attr.atime, attr.mtime, attr.ctime, now) && compareTime(attr.atime, now) < 0)
      attr = this.touchAtime(attr, now);
    return { data, eof: offset + n >= size, attr };
  }

  async write(
    cred: Credentials,
    id: FileId,
    offset: number,
    data: Buffer,
    stable: StableHow,
    exclusive = false,
  ): Promise<WriteResult> {
    this.writable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new FsError('INVAL');
    const end = offset + data.length;
    if (end > Number.MAX_SAFE_INTEGER) throw new FsError('FBIG');
    const now = this.clock();
    // The data goes to the block store outside any metadata transaction, so that a slow write
    // holds up neither other files nor creates/removes; the per-file queue keeps data, truncates
    // and size changes of this file in call order. UNSTABLE writes of a clean file (nothing past
    // its logical size in the block store) share it: they run side by side.
    const shared = !exclusive && stable === 'unstable' && this.clean.has(id);
    const release = await this.fileQueue.acquire(id, shared);
    let metaDone: Promise<{ before: Inode; after: Inode }>;
    let contentId: string;
    let ok = false;
    try {
      // The check happens here, the linearization point of this write against chmod/remove.
      const seen = await this.getattr(id);
      requireRegular(seen);
      requireDataAccess(cred, seen, MAY_WRITE);
      // POSIX write(2): a zero-length write changes nothing.
      if (data.length === 0) return { before: seen, after: seen, count: 0, committed: stable };
      // write(2): a write by someone other than the owner (or root) clears setuid/setgid. That
      // rare case takes the persisted path below, so a mode change is never only in memory.
      const clearsSuid = (seen.mode & (S_ISUID | S_ISGID)) !== 0 && cred.uid !== 0 && cred.uid !== seen.uid;
      if (shared && clearsSuid) {
        release();
        return await this.write(cred, id, offset, data, stable, true);
      }
      contentId = seen.contentId ?? this.contentIdOf(seen);
      const hint = this.inflightSize.get(id);
      const size = hint === undefined ? seen.size : hint.size;
      // Bytes past the logical size are garbage (e.g. from a write whose transaction failed, or
      // an UNSTABLE write whose size a crash lost): cut them once, before leaving a hole, so that
      // holes read as zeros; from then on the file is clean (see FileQueue).
      if (!shared && (offset > size || !this.clean.has(id))) await this.blocks.truncate(contentId, size);
      await this.blocks.write(contentId, offset, data);
      ok = true;
      if (stable === 'unstable' && !clearsSuid) {
        // RFC 1813 §3.3.7: UNSTABLE data and the metadata that goes with it may stay volatile
        // until COMMIT; the in-memory size is what every later reader and writer sees.
        let base = seen;
        if (hint !== undefined) {
          // Stable writes of this file are still committing: build on what they commit, so that
          // their change counter does not overtake (and so hide) this write's in-memory size.
          await hint.last.catch(() => undefined);
          base = await this.getattr(id);
          if (base.generation !== seen.generation) throw new FsError('STALE');
        }
        // Shared writers finish in any order: build on the latest one's in-memory inode.
        base = this.dirty.latest(base);
        const newSize = end > base.size ? end : base.size;
        const still = this.inflightSize.get(id);
        if (still !== undefined && newSize > still.size) still.size = newSize;
        const after: Inode = { ...base, size: newSize, mtime: now, ctime: now, change: base.change + 1, contentId };
        this.dirty.set(after);
        this.markClean(id);
        this.scheduleFlush();
        return { before: seen, after, count: data.length, committed: 'unstable' };
      }
      // Until this write's metadata is visible to views, later writes of this file take the
      // logical size from here (they may start as soon as the update below has run).
      const entry = hint ?? { size, writes: 0, last: Promise.resolve() };
      if (end > entry.size) entry.size = end;
      entry.writes++;
      this.inflightSize.set(id, entry);
      entry.last = metaDone = this.update(async (tx) => {
        try {
          const before = await tx.getInode(id);
          // Removed (or replaced) since the check: its content is dropped after our release.
          if (before === undefined || before.generation !== seen.generation) throw new FsError('STALE');
          let mode = before.mode;
          // write(2): a write by someone other than the owner (or root) clears setuid/setgid.
          if ((mode & (S_ISUID | S_ISGID)) !== 0 && cred.uid !== 0 && cred.uid !== before.uid)
            mode &= ~(S_ISUID | S_ISGID);
          const after: Inode = {
            ...before,
            mode,
            size: end > before.size ? end : before.size,
            mtime: now,
            ctime: now,
            change: before.change + 1,
            contentId,
          };
          await tx.putInode(after);
          return { before, after };
        } finally {
          release();
        }
      });
      metaDone.then(
        () => {
          this.inflightDone(id, entry);
          this.markClean(id);
        },
        () => {
          // Data past the size the store keeps: the next write cuts it.
          this.clean.delete(id);
          this.inflightDone(id, entry);
        },
      );
    } catch (e) {
      if (!ok) this.clean.delete(id);
      throw e;
    } finally {
      release();
    }
    // RFC 1813 §3.3.7: FILE_SYNC/DATA_SYNC data is on stable storage before the reply; the data
    // sync overlaps the metadata commit (both are awaited).
    const [{ before, after }] = await Promise.all([
      metaDone,
      stable !== 'unstable' ? this.blocks.commit(contentId) : undefined,
    ]);
    return { before, after, count: data.length, committed: stable };
  }

  private markClean(id: FileId): void {
    // Bounded: forgetting only costs one more truncate (usually a no-op) at the next write.
    if (this.clean.size >= 1 << 20) this.clean.clear();
    this.clean.add(id);
  }

  /** One in-flight write of `id` has committed (or failed): forget the size hint with the last one. */
  private inflightDone(id: FileId, entry: InflightSize): void {
    if (--entry.writes === 0 && this.inflightSize.get(id) === entry) this.inflightSize.delete(id);
  }

  async commit(_cred: Credentials, id: FileId): Promise<WccResult> {
    const before = await this.getattr(id);
    if (before.type !== 'reg' || before.contentId === undefined) return { before, after: before };
    // RFC 1813 §3.3.21: the data and the metadata of earlier UNSTABLE writes reach stable storage
    // before the reply; the data sync overlaps the metadata commit (both are awaited).
    const [after] = await Promise.all([this.persistDirty([id]), this.blocks.commit(before.contentId)]);
    return { before, after: after ?? before };
  }

  /**
   * Persist the size and times of every UNSTABLE write so far (one metadata
   * transaction); their data is the block store's to sync. For a clean stop
   * and for tests; COMMIT persists the files it names by itself.
   */
  async flush(): Promise<void> {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    await this.persistDirty(this.dirty.ids());
  }

  /** Merge the dirty attributes of `ids` into the store; the merged inode of the first, if it is dirty. */
  private async persistDirty(ids: FileId[]): Promise<Inode | undefined> {
    const live = ids.filter((id) => this.dirty.has(id));
    if (live.length === 0) return undefined;
    // Reading a dirty inode through the overlay transaction is what persists it (see update).
    return this.update(async (tx) => {
      let first: Inode | undefined;
      for (let i = 0; i < live.length; i++) {
        const ino = await tx.getInode(live[i]);
        if (i === 0) first = ino;
      }
      return first;
    });
  }

  /** Persist dirty attributes left behind by writes no COMMIT followed, after attrFlushMs. */
  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.attrFlushMs <= 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.persistDirty(this.dirty.ids()).catch((err: unknown) =>
        this.log.warn({ err }, 'persisting attributes of unstable writes failed'),
      );
    }, this.attrFlushMs);
    this.flushTimer.unref();
  }

  /** A read-only view in which inodes carry their dirty attributes. */
  private view<T>(fn: (tx: MetadataReadTx) => Promise<T>): Promise<T> {
    if (this.dirty.size === 0) return this.meta.view(fn);
    return this.meta.view((tx) => fn(new OverlayReadTx(tx, this.dirty)));
  }

  /**
   * A metadata update in which inodes carry their dirty attributes: an
   * update that reads a dirty inode persists it merged (the callback's own
   * putInode, or the merged record as read), and once committed the entry is
   * forgotten; one whose inode was deleted is forgotten whatever its version.
   */
  private async update<T>(fn: (tx: MetadataWriteTx) => Promise<T>): Promise<T> {
    let last: OverlayWriteTx | undefined;
    const result = await this.meta.update(async (tx) => {
      // Decided when the callback runs (it may wait for earlier updates), not when it is queued.
      last = undefined;
      if (this.dirty.size === 0) return fn(tx);
      // Stores may retry the callback: each attempt has its own overlay.
      const o = new OverlayWriteTx(tx, this.dirty);
      last = o;
      const r = await fn(o);
      await o.persistMerged();
      return r;
    });
    last?.settle();
    return result;
  }

  async create(cred: Credentials, dir: FileId, name: string, how: CreateHow): Promise<CreateResult> {
    this.writable();
    checkNewName(name, this.maxName);
    const set = how.kind === 'exclusive' ? {} : how.set;
    if (set.size !== undefined) this.checkSize(set.size);
    const verf = how.kind === 'exclusive' ? how.verifier.toString('hex') : undefined;
    const now = this.clock();
    return this.update(async (tx): Promise<CreateResult> => {
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      requireAccess(cred, d, MAY_WRITE | MAY_EXEC);
      const e = await tx.lookup(dir, name);
      if (e !== undefined) {
        const existing = await this.mustGet(tx, e.id);
        if (how.kind === 'guarded') throw new FsError('EXIST');
        if (how.kind === 'exclusive') {
          // RFC 1813 §3.3.8: the retransmission of the create that made this file succeeds.
          if (existing.type === 'reg' && existing.createVerf === verf) {
            return { obj: existing, dir: { before: d, after: d } };
          }
          throw new FsError('EXIST');
        }
        // UNCHECKED over an existing file: no error; only a size of 0 is applied (open(O_TRUNC)).
        if (existing.type !== 'reg') throw new FsError(existing.type === 'dir' ? 'ISDIR' : 'EXIST');
        let obj = existing;
        if (set.size === 0 && existing.size !== 0) {
          requireDataAccess(cred, existing, MAY_WRITE);
          obj = { ...existing, size: 0, mtime: now, ctime: now, change: existing.change + 1 };
          // Last step before commit, serialized with writes (as in setattr).
          if (existing.contentId !== undefined) await this.blocks.truncate(existing.contentId, 0);
          await tx.putInode(obj);
        }
        return { obj, dir: { before: d, after: d } };
      }
      if (verf !== undefined)
        return this.makeNode(tx, cred, d, name, 'reg', set, now, { mode: 0o600, createVerf: verf });
      return this.makeNode(tx, cred, d, name, 'reg', set, now, { mode: (set.mode ?? 0o644) & 0o7777 });
    });
  }

  async mkdir(cred: Credentials, dir: FileId, name: string, set: SetAttrs): Promise<CreateResult> {
    this.writable();
    checkNewName(name, this.maxName);
    const now = this.clock();
    return this.update(async (tx) => {
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      requireAccess(cred, d, MAY_WRITE | MAY_EXEC);
      if ((await tx.lookup(dir, name)) !== undefined) throw new FsError('EXIST');
      // mkdir(2): setuid/setgid in the requested mode are ignored; setgid is inherited from the parent.
      let mode = (set.mode ?? 0o755) & 0o1777;
      if ((d.mode & S_ISGID) !== 0) mode |= S_ISGID;
      return this.makeNode(tx, cred, d, name, 'dir', { ...set, size: undefined }, now, { mode });
    });
  }

  async symlink(cred: Credentials, dir: FileId, name: string, target: string, set: SetAttrs): Promise<CreateResult> {
    this.writable();
    checkNewName(name, this.maxName);
    checkSymlinkTarget(target);
    const now = this.clock();
    return this.update(async (tx) => {
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      requireAccess(cred, d, MAY_WRITE | MAY_EXEC);
      if ((await tx.lookup(dir, name)) !== undefined) throw new FsError('EXIST');
      return this.makeNode(tx, cred, d, name, 'lnk', { ...set, size: undefined }, now, {
        mode: 0o777,
        symlink: target,
        size: Buffer.byteLength(target, 'utf8'),
      });
    });
  }

  async mknod(
    cred: Credentials,
    dir: FileId,
    name: string,
    type: Exclude<FileType, 'reg' | 'dir' | 'lnk'>,
    set: SetAttrs,
    rdev?: { major: number; minor: number },
  ): Promise<CreateResult> {
    this.writable();
    if (type !== 'blk' && type !== 'chr' && type !== 'sock' && type !== 'fifo') throw new FsError('BADTYPE');
    checkNewName(name, this.maxName);
    const now = this.clock();
    const dev =
      type === 'blk' || type === 'chr' ? { major: rdev?.major ?? 0, minor: rdev?.minor ?? 0 } : { major: 0, minor: 0 };
    return this.update(async (tx) => {
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      requireAccess(cred, d, MAY_WRITE | MAY_EXEC);
      if ((await tx.lookup(dir, name)) !== undefined) throw new FsError('EXIST');
      return this.makeNode(tx, cred, d, name, type, { ...set, size: undefined }, now, {
        mode: (set.mode ?? 0o644) & 0o7777,
        rdev: dev,
      });
    });
  }

  async remove(cred: Credentials, dir: FileId, name: string): Promise<DirOpResult> {
    this.writable();
    checkRemoveName(name, this.maxName);
    // unlink(2) of "..": it is a directory.
    if (name === '..') throw new FsError('ISDIR');
    const now = this.clock();
    const { result, drop } = await this.update(async (tx) => {
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      requireAccess(cred, d, MAY_WRITE | MAY_EXEC);
      const e = await tx.lookup(dir, name);
      if (e === undefined) throw new FsError('NOENT');
      const child = await this.mustGet(tx, e.id);
      if (isDir(child)) throw new FsError('ISDIR');
      requireStickyOk(cred, d, child);
      await tx.removeEntry(dir, name);
      const drop = await this.unlinkInode(tx, child, now);
      const after = this.dirChanged(d, now, 0);
      await tx.putInode(after);
      return { result: { dir: { before: d, after } }, drop };
    });
    await this.dropContent(drop);
    return result;
  }

  async rmdir(cred: Credentials, dir: FileId, name: string): Promise<DirOpResult> {
    this.writable();
    checkRemoveName(name, this.maxName);
    // rmdir(2) of "..": not empty (it holds at least `dir`).
    if (name === '..') throw new FsError('NOTEMPTY');
    const now = this.clock();
    return this.update(async (tx) => {
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      requireAccess(cred, d, MAY_WRITE | MAY_EXEC);
      const e = await tx.lookup(dir, name);
      if (e === undefined) throw new FsError('NOENT');
      const child = await this.mustGet(tx, e.id);
      requireDir(child);
      requireStickyOk(cred, d, child);
      if (await tx.hasEntries(child.id)) throw new FsError('NOTEMPTY');
      await tx.removeEntry(dir, name);
      await tx.deleteInode(child.id);
      const after = this.dirChanged(d, now, -1);
      await tx.putInode(after);
      return { dir: { before: d, after } };
    });
  }

  async rename(
    cred: Credentials,
    fromDir: FileId,
    fromName: string,
    toDir: FileId,
    toName: string,
  ): Promise<RenameResult> {
    this.writable();
    // rename(2): "." and ".." can be neither source nor target.
    if (fromName === '.' || fromName === '..' || toName === '.' || toName === '..') throw new FsError('INVAL');
    checkLookupName(fromName, this.maxName);
    checkNewName(toName, this.maxName);
    const now = this.clock();
    const { result, drop } = await this.update(async (tx) => {
      const fdBefore = await this.mustGet(tx, fromDir);
      const tdBefore = fromDir === toDir ? fdBefore : await this.mustGet(tx, toDir);
      requireDir(fdBefore);
      requireDir(tdBefore);
      requireAccess(cred, fdBefore, MAY_WRITE | MAY_EXEC);
      if (tdBefore !== fdBefore) requireAccess(cred, tdBefore, MAY_WRITE | MAY_EXEC);
      const se = await tx.lookup(fromDir, fromName);
      if (se === undefined) throw new FsError('NOENT');
      const src = await this.mustGet(tx, se.id);
      const unchanged = {
        fromDir: { before: fdBefore, after: fdBefore },
        toDir: { before: tdBefore, after: tdBefore },
      };
      if (fromDir === toDir && fromName === toName) return { result: unchanged, drop: undefined };
      const de = await tx.lookup(toDir, toName);
      // rename(2): if both names are links to the same file, do nothing and succeed.
      if (de !== undefined && de.id === src.id) return { result: unchanged, drop: undefined };
      requireStickyOk(cred, fdBefore, src);
      const dst = de === undefined ? undefined : await this.mustGet(tx, de.id);
      if (dst !== undefined) requireStickyOk(cred, tdBefore, dst);
      const srcIsDir = isDir(src);
      if (srcIsDir && fromDir !== toDir) {
        // Moving a directory rewrites its "..": needs write permission on it (as Linux).
        requireAccess(cred, src, MAY_WRITE);
        await this.refuseOwnSubtree(tx, src.id, tdBefore);
      }
      if (dst !== undefined) {
        if (srcIsDir && !isDir(dst)) throw new FsError('NOTDIR');
        if (!srcIsDir && isDir(dst)) throw new FsError('ISDIR');
        if (isDir(dst) && (await tx.hasEntries(dst.id))) throw new FsError('NOTEMPTY');
      }
      const p = new Pending();
      let drop: Drop | undefined;
      let toDelta = 0;
      if (dst !== undefined) {
        await tx.removeEntry(toDir, toName);
        if (isDir(dst)) {
          await tx.deleteInode(dst.id);
          toDelta--;
        } else {
          drop = await this.unlinkInode(tx, dst, now);
        }
      }
      if (srcIsDir && fromDir !== toDir) {
        toDelta++;
        if (toDelta > 0 && tdBefore.nlink >= this.maxLinks) throw new FsError('MLINK');
      }
      await tx.removeEntry(fromDir, fromName);
      const td = p.cur(tdBefore);
      const cookie = td.nextCookie ?? FIRST_COOKIE;
      await tx.addEntry(toDir, toName, src.id, cookie);
      // rename(2): the moved object's ctime changes; a moved directory's ".." now names the new parent.
      p.set({
        ...src,
        ctime: now,
        change: src.change + 1,
        parent: srcIsDir ? toDir : src.parent,
      });
      const fromDelta = srcIsDir && fromDir !== toDir ? -1 : 0;
      p.set(this.dirChanged(p.cur(fdBefore), now, fromDelta));
      const tdNow = p.cur(tdBefore);
      p.set({ ...this.dirChanged(tdNow, now, toDelta), nextCookie: cookie + 1 });
      await p.flush(tx);
      const fdAfter = p.cur(fdBefore);
      const tdAfter = p.cur(tdBefore);
      return {
        result: { fromDir: { before: fdBefore, after: fdAfter }, toDir: { before: tdBefore, after: tdAfter } },
        drop,
      };
    });
    await this.dropContent(drop);
    return result;
  }

  async link(cred: Credentials, id: FileId, dir: FileId, name: string): Promise<LinkResult> {
    this.writable();
    checkNewName(name, this.maxName);
    const now = this.clock();
    return this.update(async (tx) => {
      const file = await this.mustGet(tx, id);
      const d = await this.mustGet(tx, dir);
      requireDir(d);
      // link(2): no hard links to directories.
      if (isDir(file)) throw new FsError('PERM');
      requireAccess(cred, d, MAY_WRITE | MAY_EXEC);
      if ((await tx.lookup(dir, name)) !== undefined) throw new FsError('EXIST');
      if (file.nlink >= this.maxLinks) throw new FsError('MLINK');
      const cookie = d.nextCookie ?? FIRST_COOKIE;
      await tx.addEntry(dir, name, id, cookie);
      const obj: Inode = { ...file, nlink: file.nlink + 1, ctime: now, change: file.change + 1 };
      await tx.putInode(obj);
      const after = { ...this.dirChanged(d, now, 0), nextCookie: cookie + 1 };
      await tx.putInode(after);
      return { obj, dir: { before: d, after } };
    });
  }

  async readdir(cred: Credentials, dir: FileId, cookie: number, limit: number): Promise<ReaddirResult> {
    return this.view((tx) => this.listPage(tx, cred, dir, cookie, limit));
  }

  async readdirPlus(cred: Credentials, dir: FileId, cookie: number, limit: number): Promise<ReaddirPlusResult> {
    return this.view(async (tx) => {
      const page = await this.listPage(tx, cred, dir, cookie, limit);
      // One snapshot for the listing and the attributes: no getattr round trip per entry.
      const attrs: (Inode | undefined)[] = new Array<Inode | undefined>(page.entries.length);
      for (let i = 0; i < page.entries.length; i++) attrs[i] = await tx.getInode(page.entries[i].id);
      return { ...page, attrs };
    });
  }

  /** One page of `dir` after `cookie`, at most `limit` entries, inside the caller's snapshot. */
  private async listPage(
    tx: MetadataReadTx,
    cred: Credentials,
    dir: FileId,
    cookie: number,
    limit: number,
  ): Promise<ReaddirResult> {
    if (!Number.isSafeInteger(cookie) || cookie < 0) throw new FsError('BADCOOKIE');
    const max = Math.max(0, Math.floor(limit));
    const d = await this.mustGet(tx, dir);
    requireDir(d);
    requireAccess(cred, d, MAY_READ);
    // RFC 1813 §3.3.16: a cookie this directory never handed out is BAD_COOKIE.
    if (cookie > (d.nextCookie ?? FIRST_COOKIE)) throw new FsError('BADCOOKIE');
    const entries = await tx.readdir(dir, cookie, max + 1);
    const eof = entries.length <= max;
    if (!eof) entries.length = max;
    return { entries, eof, dir: d };
  }

  /**
   * RFC 1813 §3.3.16 cookieverf: derived from what identifies this incarnation
   * of the directory (id, generation, birth time), so it stays the same while
   * the directory exists; cookies themselves are never reused, so the
   * verifier need not change when entries come and go.
   */
  cookieVerifier(dir: Inode): Buffer {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32BE(dir.generation >>> 0, 0);
    b.writeUInt32BE((dir.btime.sec ^ Math.imul(dir.btime.nsec, 0x9e3779b1) ^ dir.id) >>> 0, 4);
    return b;
  }

  async statfs(): Promise<FsStats> {
    const [u, used] = await Promise.all([this.meta.view((tx) => tx.usage()), this.blocks.usedBytes()]);
    const free = Math.max(0, this.capacity - used);
    const freeFiles = Math.max(0, this.maxFiles - u.inodes);
    return {
      totalBytes: this.capacity,
      freeBytes: free,
      availBytes: this.readOnly ? 0 : free,
      totalFiles: this.maxFiles,
      freeFiles,
      availFiles: this.readOnly ? 0 : freeFiles,
    };
  }

  // ---- helpers ----

  private writable(): void {
    if (this.readOnly) throw new FsError('ROFS');
  }

  private checkSize(size: number): void {
    if (!Number.isInteger(size) || size < 0) throw new FsError('INVAL');
    if (size > Number.MAX_SAFE_INTEGER) throw new FsError('FBIG');
  }

  private async mustGet(tx: MetadataReadTx, id: FileId): Promise<Inode> {
    const ino = await tx.getInode(id);
    if (ino === undefined) throw new FsError('STALE');
    return ino;
  }

  /** Content id of a regular file: only [0-9a-f-], unique per incarnation of an inode. */
  private contentIdOf(ino: Inode): string {
    return `${this.shareId}-${ino.id}-${(ino.generation >>> 0).toString(16)}`;
  }

  /** A directory after an entry was added or removed: mtime/ctime now, nlink adjusted for subdirectories. */
  private dirChanged(d: Inode, now: Timespec, nlinkDelta: number): Inode {
    return { ...d, nlink: d.nlink + nlinkDelta, mtime: now, ctime: now, change: d.change + 1 };
  }

  /**
   * Drop one link of a non-directory. Returns the content id to delete once
   * the transaction has committed when that was the last link.
   */
  private async unlinkInode(tx: MetadataWriteTx, ino: Inode, now: Timespec): Promise<Drop | undefined> {
    if (ino.nlink <= 1) {
      await tx.deleteInode(ino.id);
      return ino.contentId === undefined ? undefined : { id: ino.id, contentId: ino.contentId };
    }
    await tx.putInode({ ...ino, nlink: ino.nlink - 1, ctime: now, change: ino.change + 1 });
    return undefined;
  }

  private async dropContent(drop: Drop | undefined): Promise<void> {
    if (drop === undefined) return;
    const { id, contentId } = drop;
    this.clean.delete(id);
    // After the file's queued writes, which may still be writing data (they then fail with STALE).
    const release = await this.fileQueue.acquire(id);
    try {
      await this.blocks.delete(contentId);
    } catch (err) {
      // The metadata is already consistent; the content is an orphan that costs space only.
      this.log.warn({ err, contentId }, 'deleting content of a removed file failed');
    } finally {
      release();
    }
  }

  /** rename(2): a directory cannot move into its own subtree (EINVAL). */
  private async refuseOwnSubtree(tx: MetadataReadTx, moving: FileId, target: Inode): Promise<void> {
    let p = target;
    for (let depth = 0; ; depth++) {
      if (p.id === moving) throw new FsError('INVAL', 'rename into own subtree');
      if (p.id === ROOT_ID || p.parent === undefined || p.parent === p.id) return;
      if (depth > 100_000) throw new FsError('LOOP');
      p = await this.mustGet(tx, p.parent);
    }
  }

  /** Shared tail of create/mkdir/symlink/mknod: allocate, apply owner rules and attributes, link into `d`. */
  private async makeNode(
    tx: MetadataWriteTx,
    cred: Credentials,
    d: Inode,
    name: string,
    type: FileType,
    set: SetAttrs,
    now: Timespec,
    extra: Partial<Inode> & { mode: number },
  ): Promise<CreateResult> {
    const dir = type === 'dir';
    if (dir && d.nlink >= this.maxLinks) throw new FsError('MLINK');
    // New entries in a setgid directory take its group (BSD semantics); otherwise the caller's.
    let gid = (d.mode & S_ISGID) !== 0 ? d.gid : cred.gid;
    let uid = cred.uid;
    if (set.uid !== undefined && set.uid !== uid) {
      if (cred.uid !== 0) throw new FsError('PERM');
      uid = set.uid;
    }
    if (set.gid !== undefined && set.gid !== gid) {
      if (cred.uid !== 0 && !inGroup(cred, set.gid)) throw new FsError('PERM');
      gid = set.gid;
    }
    let mode = extra.mode;
    // As chmod(2): a non-root creator outside the file's group cannot set setgid on it.
    if (!dir && cred.uid !== 0 && (mode & S_ISGID) !== 0 && !inGroup(cred, gid)) mode &= ~S_ISGID;
    const id = await tx.allocateId();
    const generation = newGeneration();
    const atime = set.atime === undefined || set.atime === 'server' ? now : checkTime(set.atime);
    const mtime = set.mtime === undefined || set.mtime === 'server' ? now : checkTime(set.mtime);
    const obj: Inode = {
      id,
      generation,
      type,
      nlink: dir ? 2 : 1,
      uid,
      gid,
      size: dir ? DIR_SIZE : (set.size ?? 0),
      rdev: { major: 0, minor: 0 },
      atime,
      mtime,
      ctime: now,
      btime: now,
      change: 1,
      ...extra,
      mode,
    };
    if (type === 'reg') obj.contentId = this.contentIdOf(obj);
    if (dir) {
      obj.nextCookie = FIRST_COOKIE;
      obj.parent = d.id;
    }
    await tx.putInode(obj);
    const cookie = d.nextCookie ?? FIRST_COOKIE;
    await tx.addEntry(d.id, name, id, cookie);
    const after = { ...this.dirChanged(d, now, dir ? 1 : 0), nextCookie: cookie + 1 };
    await tx.putInode(after);
    return { obj, dir: { before: d, after } };
  }

  /**
   * relatime atime update after a read (see times.ts): in memory, persisted
   * with the file's next update, COMMIT or the flush timer (see dirty-attrs.ts).
   */
  private touchAtime(attr: Inode, now: Timespec): Inode {
    const after = { ...attr, atime: now };
    this.dirty.touch(after);
    this.scheduleFlush();
    return after;
  }
}
