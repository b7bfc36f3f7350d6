import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FsError } from '../../../core/errors.js';
import type { Logger } from '../../../observability/logger.js';
import { silentLogger } from '../../../observability/logger.js';
import type { BlockStore } from '../store.js';
import { acquireBlockOwner } from '../owner-lock.js';
import { checkRange } from '../range.js';
import { contentPath, validateContentId } from './content-path.js';
import { closeFd, fdatasyncFd, ftruncateFd, openFd, preadFull, pwriteAll } from './fd-io.js';

export interface FsBlockStoreOptions {
  /** Directory holding the content files (created if missing). */
  root: string;
  /**
   * Open content files kept in the LRU cache (default 1024): small files read
   * once each (a listing, a build tree) reopen nothing while they fit.
   */
  maxOpenFiles?: number;
  /**
   * Other processes may open the directory too (servers sharing one
   * namespace in PostgreSQL): no owner file. Default false: a second process
   * on the directory fails to open (see ../owner-lock.ts).
   */
  shared?: boolean;
  logger?: Logger;
}

/** One cached open file. `fd` resolves to undefined when the file does not exist (read-only open). */
interface Slot {
  id: string;
  file: string;
  dir: string;
  fd: Promise<number | undefined>;
  users: number;
  evicted: boolean;
}

/** Reads up to this size are carved from a shared slab (see readBuffer). */
const SLAB_READ_MAX = 16 * 1024;
const SLAB_SIZE = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;

/**
 * A buffer for one read. Node pools only allocations under 4 KiB, so every
 * 4 KiB READ would get an ArrayBuffer of its own (allocation plus GC
 * bookkeeping per call); small reads take consecutive slices of one slab
 * instead. Slices are never handed out twice: the slab lives as long as any
 * of its slices, and a full one is replaced, not reused. (A caller keeping
 * such a slice for long keeps its slab: the request paths send and drop it.)
 */
function readBuffer(length: number): Buffer {
  if (length > SLAB_READ_MAX) return Buffer.allocUnsafe(length);
  if (slabUsed + length > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  // Keep slices 8-byte aligned, as Node's own pool does.
  slabUsed += (length + 7) & ~7;
  return out;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function ioError(e: unknown): FsError {
  if (e instanceof FsError) return e;
  const code = errno(e);
  if (code === 'ENOSPC') return new FsError('NOSPC');
  if (code === 'EDQUOT') return new FsError('DQUOT');
  if (code === 'EFBIG') return new FsError('FBIG');
  return new FsError('IO', e instanceof Error ? e.message : String(e));
}

/**
 * Block store on a local directory: one sparse file per content id, under
 * `root/<shard>/<id>` (see content-path.ts for why ids cannot escape root).
 * Open descriptors are kept in an LRU cache so that streaming I/O does
 * not reopen files. Holes and bytes past the end of a file read as zeros;
 * commit is fdatasync of the file plus an fsync of its directory when the
 * file was created since the last commit (so the name survives a crash too).
 * usedBytes is a running total of logical file sizes, seeded by a scan at open.
 */
export class FsBlockStore implements BlockStore {
  readonly kind = 'fs';
  private readonly root: string;
  private readonly maxOpen: number;
  private readonly log: Logger;
  private readonly slots = new Map<string, Slot>();
  private readonly sizes = new Map<string, number>();
  /** Directories holding a file created since the last commit of it (file → dir). */
  private readonly unsyncedNames = new Map<string, string>();
  private readonly newShards = new Set<string>();
  /** Shard directories known to exist (scanned at open or made since): no mkdir per new file. */
  private readonly shards = new Set<string>();
  /** Coalesced directory fsyncs: per directory, the one not started yet that new callers join. */
  private readonly dirSyncs = new Map<string, { next: Promise<void> | undefined; tail: Promise<void> }>();
  /** Open read-only handles of the directories fsync'ed so far (the shards and root: at most 257). */
  private readonly dirHandles = new Map<string, Promise<FileHandle>>();
  private used = 0;
  private releaseOwner: (() => Promise<void>) | undefined;

  constructor(private readonly opts: FsBlockStoreOptions) {
    this.root = opts.root;
    this.maxOpen = Math.max(1, opts.maxOpenFiles ?? 1024);
    this.log = opts.logger ?? silentLogger;
  }

  async open(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    if (this.opts.shared !== true) this.releaseOwner = await acquireBlockOwner(this.root);
    this.used = 0;
    this.sizes.clear();
    this.shards.clear();
    for (const shard of await fsp.readdir(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      this.shards.add(join(this.root, shard));
      for (const name of await fsp.readdir(join(this.root, shard))) {
        try {
          validateContentId(name);
          const st = await fsp.stat(join(this.root, shard, name));
          this.sizes.set(name, st.size);
          this.used += st.size;
        } catch {
          this.log.warn({ shard, name }, 'ignoring unexpected file in block store');
        }
      }
    }
  }

  async write(contentId: string, offset: number, data: Buffer): Promise<void> {
    checkRange(offset, data.length);
    const slot = await this.acquire(contentId, true);
    try {
      const fd = (await slot!.fd)!;
      await pwriteAll(fd, data, offset);
      this.grow(contentId, offset + data.length);
    } catch (e) {
      throw ioError(e);
    } finally {
      this.release(slot!);
    }
  }

  async read(contentId: string, offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length);
    const slot = await this.acquire(contentId, false);
    if (slot === undefined) return Buffer.alloc(length);
    try {
      const fd = await slot.fd;
      const out = readBuffer(length);
      const got = fd === undefined ? 0 : await preadFull(fd, out, offset);
      // Past the end of the file: zeros (the VFS owns the logical size).
      if (got < length) out.fill(0, got);
      return out;
    } catch (e) {
      throw ioError(e);
    } finally {
      this.release(slot);
    }
  }

  async truncate(contentId: string, size: number): Promise<void> {
    checkRange(size, 0);
    // Already that size (the VFS cuts at the logical size before extending writes), or no file
    // to cut (`sizes` knows every content file): no syscall.
    const known = this.sizes.get(contentId);
    if (known === size || (known === undefined && size === 0)) return;
    const slot = await this.acquire(contentId, size > 0);
    if (slot === undefined) return;
    try {
      const fd = await slot.fd;
      if (fd === undefined) return;
      await ftruncateFd(fd, size);
      const old = this.sizes.get(contentId) ?? 0;
      this.used += size - old;
      this.sizes.set(contentId, size);
    } catch (e) {
      throw ioError(e);
    } finally {
      this.release(slot);
    }
  }

  async delete(contentId: string): Promise<void> {
    const { file } = contentPath(this.root, contentId);
    const slot = this.slots.get(contentId);
    // Never written (e.g. an empty file removed): `sizes` knows every file, so no unlink to fail.
    if (slot === undefined && !this.sizes.has(contentId)) return;
    if (slot !== undefined) this.evict(slot);
    try {
      await fsp.unlink(file);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw ioError(e);
    }
    this.used -= this.sizes.get(contentId) ?? 0;
    this.sizes.delete(contentId);
    this.unsyncedNames.delete(contentId);
  }

  async commit(contentId: string): Promise<void> {
    const slot = await this.acquire(contentId, false);
    if (slot === undefined) return;
    try {
      const fd = await slot.fd;
      if (fd === undefined) return;
      await fdatasyncFd(fd);
      const dir = this.unsyncedNames.get(contentId);
      if (dir !== undefined) {
        this.unsyncedNames.delete(contentId);
        const newShard = this.newShards.delete(dir);
        await Promise.all([this.syncDir(dir), newShard ? this.syncDir(this.root) : undefined]);
      }
    } catch (e) {
      throw ioError(e);
    } finally {
      this.release(slot);
    }
  }

  /** Every content file: `open` scanned them all and writes/deletes keep the index current. */
  async *listContent(): AsyncIterable<string> {
    yield* [...this.sizes.keys()];
  }

  async usedBytes(): Promise<number> {
    return this.used;
  }

  async close(): Promise<void> {
    const all = [...this.slots.values()];
    for (const s of all) this.evict(s);
    await Promise.all(all.map((s) => s.fd.catch(() => undefined)));
    const dirs = [...this.dirHandles.values()];
    this.dirHandles.clear();
    await Promise.all(dirs.map((d) => d.then((fh) => fh.close()).catch(() => undefined)));
    await this.releaseOwner?.();
    this.releaseOwner = undefined;
  }

  /**
   * fsync of a directory, shared by every caller that asks before it starts:
   * a sync started after a name was created covers it, so concurrent commits
   * of new files in one shard cost one fsync, not one each.
   */
  private syncDir(dir: string): Promise<void> {
    let s = this.dirSyncs.get(dir);
    if (s === undefined) {
      s = { next: undefined, tail: Promise.resolve() };
      this.dirSyncs.set(dir, s);
    }
    if (s.next !== undefined) return s.next;
    const state = s;
    const run: Promise<void> = state.tail.then(() => {
      // Started: later callers need a sync that starts after their name was created.
      if (state.next === run) state.next = undefined;
      return this.fsyncDir(dir);
    });
    state.next = run;
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    state.tail = settled;
    void settled.then(() => {
      if (state.tail === settled && this.dirSyncs.get(dir) === state) this.dirSyncs.delete(dir);
    });
    return run;
  }

  /** fsync of a directory through a handle kept open: no open and close per new file. */
  private async fsyncDir(dir: string): Promise<void> {
    let h = this.dirHandles.get(dir);
    if (h === undefined) {
      h = fsp.open(dir, constants.O_RDONLY);
      this.dirHandles.set(dir, h);
    }
    try {
      await (await h).sync();
    } catch (e) {
      // A handle that failed is not kept: the next sync reopens.
      if (this.dirHandles.get(dir) === h) this.forgetDirHandle(dir);
      throw e;
    }
  }

  /** Close the kept handle of `dir` (its directory was replaced: a new handle must name the new one). */
  private forgetDirHandle(dir: string): void {
    const h = this.dirHandles.get(dir);
    if (h === undefined) return;
    this.dirHandles.delete(dir);
    h.then((fh) => fh.close()).catch(() => undefined);
  }

  private grow(contentId: string, end: number): void {
    const old = this.sizes.get(contentId) ?? 0;
    if (end > old) {
      this.used += end - old;
      this.sizes.set(contentId, end);
    }
  }

  /**
   * A cached open file for `contentId`, with a use count held until
   * {@link release}. Without `create`, a missing file yields undefined.
   */
  private async acquire(contentId: string, create: boolean): Promise<Slot | undefined> {
    const { dir, file } = contentPath(this.root, contentId);
    for (;;) {
      let slot = this.slots.get(contentId);
      if (slot === undefined) {
        slot = { id: contentId, file, dir, fd: this.openFile(contentId, dir, file, create), users: 0, evicted: false };
        this.slots.set(contentId, slot);
        this.trim();
      } else {
        // Refresh the LRU position.
        this.slots.delete(contentId);
        this.slots.set(contentId, slot);
      }
      slot.users++;
      let fd: number | undefined;
      try {
        fd = await slot.fd;
      } catch (e) {
        slot.users--;
        if (this.slots.get(contentId) === slot) this.slots.delete(contentId);
        throw ioError(e);
      }
      if (fd !== undefined) return slot;
      // The file did not exist when this slot was opened; forget the slot.
      slot.users--;
      if (this.slots.get(contentId) === slot) this.slots.delete(contentId);
      if (!create) return undefined;
    }
  }

  private release(slot: Slot): void {
    slot.users--;
    if (slot.evicted && slot.users === 0) this.closeSlot(slot);
  }

  private evict(slot: Slot): void {
    if (this.slots.get(slot.id) === slot) this.slots.delete(slot.id);
    if (slot.evicted) return;
    slot.evicted = true;
    if (slot.users === 0) this.closeSlot(slot);
  }

  private closeSlot(slot: Slot): void {
    slot.fd
      .then((fd) => (fd === undefined ? undefined : closeFd(fd)))
      .catch((e: unknown) => this.log.warn({ err: e, contentId: slot.id }, 'closing content file failed'));
  }

  private trim(): void {
    for (const slot of this.slots.values()) {
      if (this.slots.size <= this.maxOpen) break;
      this.evict(slot);
    }
  }

  private async openFile(contentId: string, dir: string, file: string, create: boolean): Promise<number | undefined> {
    // `sizes` knows every content file: a new one goes straight to the exclusive create.
    if (this.sizes.has(contentId) || !create) {
      try {
        return await openFd(file, constants.O_RDWR);
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e;
        if (!create) return undefined;
      }
    }
    if (!this.shards.has(dir)) await this.makeShard(dir);
    try {
      return await this.createFile(contentId, dir, file);
    } catch (e) {
      // The shard went away behind our back: make it again.
      if (errno(e) !== 'ENOENT') throw e;
      this.shards.delete(dir);
      this.forgetDirHandle(dir);
      await this.makeShard(dir);
      return await this.createFile(contentId, dir, file);
    }
  }

  private async makeShard(dir: string): Promise<void> {
    try {
      await fsp.mkdir(dir);
      this.newShards.add(dir);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    this.shards.add(dir);
  }

  private async createFile(contentId: string, dir: string, file: string): Promise<number> {
    try {
      const fd = await openFd(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
      this.unsyncedNames.set(contentId, dir);
      if (!this.sizes.has(contentId)) this.sizes.set(contentId, 0);
      return fd;
    } catch (e) {
      // Created meanwhile by someone else: open it.
      if (errno(e) !== 'EEXIST') throw e;
      return await openFd(file, constants.O_RDWR);
    }
  }
}
