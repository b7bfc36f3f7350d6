import { FsError } from '../../../core/errors.js';
import type { DirEntry, FileId, Inode } from '../../../core/types.js';
import type { MetadataReadTx, MetadataStore, MetadataWriteTx } from '../store.js';
import { DirIndex } from './dir-index.js';

/**
 * The stored form of an inode: a deep-frozen copy. Copying on write and
 * handing out the frozen object on read keeps the hot read path
 * allocation-free while no caller can alter committed state through an
 * object it holds (mutation attempts throw in strict-mode code).
 */
function freezeCopy(i: Inode): Inode {
  const c: Inode = {
    id: i.id,
    generation: i.generation,
    type: i.type,
    mode: i.mode,
    nlink: i.nlink,
    uid: i.uid,
    gid: i.gid,
    size: i.size,
    rdev: Object.freeze({ major: i.rdev.major, minor: i.rdev.minor }),
    atime: Object.freeze({ sec: i.atime.sec, nsec: i.atime.nsec }),
    mtime: Object.freeze({ sec: i.mtime.sec, nsec: i.mtime.nsec }),
    ctime: Object.freeze({ sec: i.ctime.sec, nsec: i.ctime.nsec }),
    btime: Object.freeze({ sec: i.btime.sec, nsec: i.btime.nsec }),
    change: i.change,
  };
  if (i.symlink !== undefined) c.symlink = i.symlink;
  if (i.contentId !== undefined) c.contentId = i.contentId;
  if (i.createVerf !== undefined) c.createVerf = i.createVerf;
  if (i.nextCookie !== undefined) c.nextCookie = i.nextCookie;
  if (i.parent !== undefined) c.parent = i.parent;
  return Object.freeze(c);
}

function regBytes(i: Inode | undefined | null): number {
  return i && i.type === 'reg' ? i.size : 0;
}

/** Committed state plus the read side that both `view` and write transactions use. */
class Committed {
  readonly inodes = new Map<FileId, Inode>();
  readonly dirs = new Map<FileId, DirIndex>();
  readonly xattrs = new Map<FileId, Map<string, Buffer>>();
  readonly state = new Map<string, Buffer>();
  nextId = 1;
  bytes = 0;

  dir(id: FileId): DirIndex {
    let d = this.dirs.get(id);
    if (d === undefined) {
      d = new DirIndex();
      this.dirs.set(id, d);
    }
    return d;
  }
}

class ReadTx implements MetadataReadTx {
  constructor(protected readonly c: Committed) {}

  async getInode(id: FileId): Promise<Inode | undefined> {
    return this.c.inodes.get(id);
  }
  async lookup(dir: FileId, name: string): Promise<DirEntry | undefined> {
    return this.c.dirs.get(dir)?.byName.get(name);
  }
  async readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]> {
    return this.c.dirs.get(dir)?.page(afterCookie, limit) ?? [];
  }
  async hasEntries(dir: FileId): Promise<boolean> {
    return (this.c.dirs.get(dir)?.size ?? 0) > 0;
  }
  async getXattr(id: FileId, name: string): Promise<Buffer | undefined> {
    const v = this.c.xattrs.get(id)?.get(name);
    return v === undefined ? undefined : Buffer.from(v);
  }
  async listXattrs(id: FileId): Promise<string[]> {
    return [...(this.c.xattrs.get(id)?.keys() ?? [])];
  }
  async getState(key: string): Promise<Buffer | undefined> {
    const v = this.c.state.get(key);
    return v === undefined ? undefined : Buffer.from(v);
  }
  async usage(): Promise<{ inodes: number; bytes: number }> {
    return { inodes: this.c.inodes.size, bytes: this.c.bytes };
  }
  async listInodes(afterId: FileId, limit: number): Promise<Inode[]> {
    return pageById(this.c.inodes, afterId, limit);
  }
}

/**
 * Inodes of `m` with id > `afterId`, ascending, at most `limit`. The map is
 * unordered, so this sorts: fine for the offline checker on a memory store.
 */
function pageById(m: ReadonlyMap<FileId, Inode | null>, afterId: FileId, limit: number): Inode[] {
  const ids: FileId[] = [];
  for (const id of m.keys()) if (id > afterId) ids.push(id);
  ids.sort((a, b) => a - b);
  const out: Inode[] = [];
  for (const id of ids) {
    if (out.length >= limit) break;
    const ino = m.get(id);
    if (ino) out.push(ino);
  }
  return out;
}

/**
 * A write transaction: every write lands in an overlay over the committed
 * state and reads consult the overlay first. Nothing touches the committed
 * state until {@link WriteTx.apply}, which runs synchronously (no await), so
 * a throwing callback leaves nothing behind and readers never see half a
 * commit.
 */
class WriteTx extends ReadTx implements MetadataWriteTx {
  /** null = deleted in this transaction. */
  private readonly inodes = new Map<FileId, Inode | null>();
  /** Per directory: name → entry added, or null = a committed entry removed. */
  private readonly entries = new Map<FileId, Map<string, DirEntry | null>>();
  private readonly xattrs = new Map<FileId, Map<string, Buffer | null>>();
  /** Inodes deleted in this transaction: their committed xattrs are gone. */
  private readonly droppedXattrs = new Set<FileId>();
  private readonly state = new Map<string, Buffer | null>();
  finished = false;

  private live(): void {
    if (this.finished) throw new FsError('IO', 'metadata transaction used after it ended');
  }

  override async getInode(id: FileId): Promise<Inode | undefined> {
    this.live();
    const o = this.inodes.get(id);
    if (o !== undefined) return o === null ? undefined : o;
    return super.getInode(id);
  }

  override async lookup(dir: FileId, name: string): Promise<DirEntry | undefined> {
    this.live();
    const o = this.entries.get(dir)?.get(name);
    if (o !== undefined) return o === null ? undefined : o;
    return this.c.dirs.get(dir)?.byName.get(name);
  }

  override async readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]> {
    this.live();
    const o = this.entries.get(dir);
    const committed = this.c.dirs.get(dir);
    if (o === undefined || o.size === 0) return committed?.page(afterCookie, limit) ?? [];
    // Committed entries whose name the overlay touches are replaced by the overlay's view.
    const base = committed?.page(afterCookie, limit, (name) => o.has(name)) ?? [];
    const added: DirEntry[] = [];
    for (const e of o.values()) if (e !== null && e.cookie > afterCookie) added.push(e);
    if (added.length === 0) return base;
    added.sort((a, b) => a.cookie - b.cookie);
    const merged = base.concat(added).sort((a, b) => a.cookie - b.cookie);
    return merged.length > limit ? merged.slice(0, limit) : merged;
  }

  override async hasEntries(dir: FileId): Promise<boolean> {
    this.live();
    const o = this.entries.get(dir);
    const committed = this.c.dirs.get(dir)?.size ?? 0;
    if (o === undefined) return committed > 0;
    let removed = 0;
    for (const e of o.values()) {
      if (e !== null) return true;
      removed++;
    }
    return committed > removed;
  }

  override async getXattr(id: FileId, name: string): Promise<Buffer | undefined> {
    this.live();
    const o = this.xattrs.get(id)?.get(name);
    if (o !== undefined) return o === null ? undefined : Buffer.from(o);
    if (this.droppedXattrs.has(id)) return undefined;
    return super.getXattr(id, name);
  }

  override async listXattrs(id: FileId): Promise<string[]> {
    this.live();
    const names = new Set<string>(this.droppedXattrs.has(id) ? [] : this.c.xattrs.get(id)?.keys());
    for (const [name, v] of this.xattrs.get(id) ?? []) {
      if (v === null) names.delete(name);
      else names.add(name);
    }
    return [...names];
  }

  override async getState(key: string): Promise<Buffer | undefined> {
    this.live();
    const o = this.state.get(key);
    if (o !== undefined) return o === null ? undefined : Buffer.from(o);
    return super.getState(key);
  }

  override async usage(): Promise<{ inodes: number; bytes: number }> {
    this.live();
    let inodes = this.c.inodes.size;
    let bytes = this.c.bytes;
    for (const [id, v] of this.inodes) {
      const old = this.c.inodes.get(id);
      if (old !== undefined) inodes--;
      if (v !== null) inodes++;
      bytes += regBytes(v) - regBytes(old);
    }
    return { inodes, bytes };
  }

  override async listInodes(afterId: FileId, limit: number): Promise<Inode[]> {
    this.live();
    if (this.inodes.size === 0) return super.listInodes(afterId, limit);
    // The overlay wins over the committed state (null = deleted here).
    const merged = new Map<FileId, Inode | null>(this.c.inodes);
    for (const [id, v] of this.inodes) merged.set(id, v);
    return pageById(merged, afterId, limit);
  }

  async allocateId(): Promise<FileId> {
    this.live();
    // Taken from the committed counter even if this transaction rolls back:
    // an id is never handed out twice.
    return this.c.nextId++;
  }

  async putInode(inode: Inode): Promise<void> {
    this.live();
    this.inodes.set(inode.id, freezeCopy(inode));
  }

  async deleteInode(id: FileId): Promise<void> {
    this.live();
    this.inodes.set(id, null);
    this.xattrs.delete(id);
    this.droppedXattrs.add(id);
  }

  async addEntry(dir: FileId, name: string, id: FileId, cookie: number): Promise<void> {
    this.live();
    if ((await this.lookup(dir, name)) !== undefined) throw new FsError('EXIST', `entry ${name} exists`);
    let o = this.entries.get(dir);
    if (o === undefined) {
      o = new Map();
      this.entries.set(dir, o);
    }
    o.set(name, Object.freeze({ name, id, cookie }));
  }

  async removeEntry(dir: FileId, name: string): Promise<void> {
    this.live();
    if ((await this.lookup(dir, name)) === undefined) throw new FsError('NOENT', `no entry ${name}`);
    const o = this.entries.get(dir);
    if (this.c.dirs.get(dir)?.byName.has(name)) {
      let m = o;
      if (m === undefined) {
        m = new Map();
        this.entries.set(dir, m);
      }
      m.set(name, null);
    } else {
      o?.delete(name);
    }
  }

  async setXattr(id: FileId, name: string, value: Buffer): Promise<void> {
    this.live();
    this.xattrMap(id).set(name, Buffer.from(value));
  }

  async removeXattr(id: FileId, name: string): Promise<void> {
    this.live();
    this.xattrMap(id).set(name, null);
  }

  async putState(key: string, value: Buffer): Promise<void> {
    this.live();
    this.state.set(key, Buffer.from(value));
  }

  async deleteState(key: string): Promise<void> {
    this.live();
    this.state.set(key, null);
  }

  private xattrMap(id: FileId): Map<string, Buffer | null> {
    let m = this.xattrs.get(id);
    if (m === undefined) {
      m = new Map();
      this.xattrs.set(id, m);
    }
    return m;
  }

  /** Make the overlay the committed state. Synchronous and cannot fail part-way. */
  apply(): void {
    const c = this.c;
    for (const [id, v] of this.inodes) {
      const old = c.inodes.get(id);
      c.bytes += regBytes(v) - regBytes(old);
      if (v === null) {
        c.inodes.delete(id);
        c.dirs.delete(id);
      } else {
        c.inodes.set(id, v);
      }
    }
    for (const [dir, changes] of this.entries) {
      const idx = c.dir(dir);
      for (const [name, e] of changes) {
        idx.remove(name);
        if (e !== null) idx.add(e);
      }
      if (idx.size === 0) c.dirs.delete(dir);
    }
    for (const id of this.droppedXattrs) c.xattrs.delete(id);
    for (const [id, changes] of this.xattrs) {
      let m = c.xattrs.get(id);
      for (const [name, v] of changes) {
        if (v === null) {
          m?.delete(name);
        } else {
          if (m === undefined) {
            m = new Map();
            c.xattrs.set(id, m);
          }
          m.set(name, v);
        }
      }
      if (m !== undefined && m.size === 0) c.xattrs.delete(id);
    }
    for (const [key, v] of this.state) {
      if (v === null) c.state.delete(key);
      else c.state.set(key, v);
    }
  }
}

/**
 * In-memory metadata store (tests, ephemeral shares).
 *
 * `update` transactions are serialized by an async mutex and buffer their
 * writes in an overlay applied only at commit. `view` reads the committed
 * state directly without taking the mutex; so that a view spanning several
 * awaits still sees one snapshot, a commit waits for running views to finish
 * and holds back new ones meanwhile. Consequently a view callback must not
 * wait for an update (and an update callback must not start another update):
 * both would deadlock.
 */
export class MemoryMetadataStore implements MetadataStore {
  readonly kind = 'memory';
  private readonly c = new Committed();
  private readonly reader = new ReadTx(this.c);
  private tail: Promise<void> = Promise.resolve();
  private activeViews = 0;
  /** Set while a commit waits for views to drain; new views wait on it. */
  private gate: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async open(init: { rootInode: Inode }): Promise<void> {
    if (!this.c.inodes.has(init.rootInode.id)) {
      await this.update(async (tx) => tx.putInode(init.rootInode));
    }
    if (this.c.nextId <= init.rootInode.id) this.c.nextId = init.rootInode.id + 1;
  }

  async view<T>(fn: (tx: MetadataReadTx) => Promise<T>): Promise<T> {
    while (this.gate !== undefined) await this.gate;
    this.activeViews++;
    try {
      return await fn(this.reader);
    } finally {
      if (--this.activeViews === 0 && this.drained !== undefined) this.drained();
    }
  }

  async update<T>(fn: (tx: MetadataWriteTx) => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    const tx = new WriteTx(this.c);
    try {
      const result = await fn(tx);
      tx.finished = true;
      if (this.activeViews > 0) await this.drainViews();
      tx.apply();
      return result;
    } finally {
      tx.finished = true;
      this.openGate();
      release();
    }
  }

  async close(): Promise<void> {
    await this.tail;
  }

  private drainViews(): Promise<void> {
    let openGate!: () => void;
    this.gate = new Promise<void>((r) => (openGate = r));
    this.openGate = () => {
      this.gate = undefined;
      this.drained = undefined;
      this.openGate = noop;
      openGate();
    };
    return new Promise<void>((r) => (this.drained = r));
  }

  private openGate: () => void = noop;
}

function noop(): void {}
