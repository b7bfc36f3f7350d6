import { FsError } from '../../../core/errors.js';
import type { DirEntry, FileId, Inode } from '../../../core/types.js';
import type { MetadataWriteTx } from '../store.js';
import { CommittedReader } from './committed-reader.js';
import { cloneInode, MAX_KEY_NAME_BYTES, prefixRange, regBytes, type LmdbDbs } from './layout.js';

function checkKeyName(name: string, what: string): void {
  if (Buffer.byteLength(name) > MAX_KEY_NAME_BYTES)
    throw new FsError('NAMETOOLONG', `${what} longer than ${MAX_KEY_NAME_BYTES} bytes`);
}

/** Hands out inode ids; owned by the store so that a rolled-back id is never reused in this process. */
export interface IdCounter {
  next: number;
}

/**
 * One `update`. lmdb-js write transactions must run synchronously, while the
 * contract's callbacks await, so writes go to an in-memory overlay (null marks
 * a deletion) that {@link LmdbWriteTx.apply} writes in one LMDB transaction at
 * the end; a throw simply drops it.
 *
 * Group commit: once an update's callback has finished, its overlay is queued
 * for commit and the next update may start at once, before that commit is
 * visible in LMDB. So reads go through: this overlay, then the overlays of
 * earlier updates still in the commit queue (`base`, oldest first), then the
 * committed databases. A queued overlay is immutable, and once its commit is
 * visible it agrees with the databases, so reading it either way is the same.
 */
export class LmdbWriteTx extends CommittedReader implements MetadataWriteTx {
  private readonly inodes = new Map<FileId, Inode | null>();
  /** Per directory: name → new entry, or null when removed. */
  private readonly dirs = new Map<FileId, Map<string, DirEntry | null>>();
  /** Per inode: name → value, or null when removed (newer than a drop of the same inode). */
  private readonly xattrs = new Map<FileId, Map<string, Buffer | null>>();
  /** Inodes whose earlier xattrs are all gone (the inode was deleted). */
  private readonly xattrsDropped = new Set<FileId>();
  /** Ids that {@link apply} removed from xattrOwners. */
  private readonly forgottenOwners: FileId[] = [];
  private readonly states = new Map<string, Buffer | null>();
  /** Absolute usage counters once this transaction changed them (absolute, so layers compose). */
  private counts: { inodes: number; bytes: number } | undefined;
  private idsAllocated = false;
  private closed = false;
  /** The queued overlays and this one, oldest first: reads walk it from the end. */
  private readonly layers: readonly LmdbWriteTx[];
  /** Set once {@link apply} has written everything; later layers refuse to commit without it. */
  applied = false;

  constructor(
    dbs: LmdbDbs,
    private readonly ids: IdCounter,
    private readonly base: readonly LmdbWriteTx[],
    /**
     * Ids that have (or may have) committed xattrs, kept by the store: deleting an inode
     * not in it opens no cursor over the xattrs DB (one per REMOVE otherwise).
     */
    private readonly xattrOwners: Set<FileId> = new Set(),
  ) {
    super(dbs);
    this.layers = [...base, this];
  }

  /** No call may reach the transaction once its callback has settled. */
  close(): void {
    this.closed = true;
  }

  private live(): void {
    if (this.closed) throw new Error('metadata transaction used after it ended');
  }

  override async getInode(id: FileId): Promise<Inode | undefined> {
    this.live();
    const pending = this.pendingInode(id);
    if (pending !== undefined) return pending === null ? undefined : cloneInode(pending);
    return this.committedInode(id);
  }

  override async lookup(dir: FileId, name: string): Promise<DirEntry | undefined> {
    this.live();
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const e = l.dirs.get(dir)?.get(name);
      if (e !== undefined) return e === null ? undefined : { ...e };
    }
    return super.lookup(dir, name);
  }

  override async readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]> {
    this.live();
    const pending = this.pendingDir(dir);
    if (pending === undefined) return super.readdir(dir, afterCookie, limit);
    const added: DirEntry[] = [];
    for (const e of pending.values()) if (e !== null && e.cookie > afterCookie) added.push(e);
    added.sort((a, b) => a.cookie - b.cookie);
    // Merge the committed cursor (minus names the overlays touched) with the pending additions.
    const out: DirEntry[] = [];
    let a = 0;
    for (const e of this.committedEntriesAfter(dir, afterCookie)) {
      if (out.length >= limit) break;
      if (pending.has(e.name)) continue;
      while (a < added.length && added[a].cookie < e.cookie && out.length < limit) out.push({ ...added[a++] });
      if (out.length < limit) out.push(e);
    }
    while (a < added.length && out.length < limit) out.push({ ...added[a++] });
    return out;
  }

  override async hasEntries(dir: FileId): Promise<boolean> {
    this.live();
    const pending = this.pendingDir(dir);
    if (pending === undefined) return super.hasEntries(dir);
    for (const e of pending.values()) if (e !== null) return true;
    for (const name of this.committedNames(dir)) if (!pending.has(name)) return true;
    return false;
  }

  override async listInodes(afterId: FileId, limit: number): Promise<Inode[]> {
    this.live();
    const pendingIds = new Set<FileId>();
    for (const l of this.layers) for (const id of l.inodes.keys()) if (id > afterId) pendingIds.add(id);
    if (pendingIds.size === 0) return super.listInodes(afterId, limit);
    const added = [...pendingIds].sort((a, b) => a - b);
    // Merge the committed cursor with the ids the overlays touched; the overlays win.
    const out: Inode[] = [];
    let a = 0;
    const takePending = (id: FileId): void => {
      const v = this.pendingInode(id);
      if (v) out.push(cloneInode(v));
    };
    for (const ino of this.committedInodesAfter(afterId)) {
      while (a < added.length && added[a] < ino.id && out.length < limit) takePending(added[a++]);
      if (out.length >= limit) break;
      if (pendingIds.has(ino.id)) continue;
      out.push(ino);
    }
    while (a < added.length && out.length < limit) takePending(added[a++]);
    return out;
  }

  override async getXattr(id: FileId, name: string): Promise<Buffer | undefined> {
    this.live();
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const v = l.xattrs.get(id)?.get(name);
      if (v !== undefined) return v === null ? undefined : Buffer.from(v);
      if (l.xattrsDropped.has(id)) return undefined;
    }
    return super.getXattr(id, name);
  }

  override async listXattrs(id: FileId): Promise<string[]> {
    this.live();
    // Newest first, collect the layers' changes back to the latest drop; below a drop nothing survives.
    const changes: Map<string, Buffer | null>[] = [];
    let dropped = false;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const m = l.xattrs.get(id);
      if (m !== undefined) changes.push(m);
      if (l.xattrsDropped.has(id)) {
        dropped = true;
        break;
      }
    }
    const names = new Set(dropped ? [] : this.committedXattrNames(id));
    for (let c = changes.length - 1; c >= 0; c--) {
      for (const [name, v] of changes[c]) {
        if (v === null) names.delete(name);
        else names.add(name);
      }
    }
    return [...names];
  }

  override async getState(key: string): Promise<Buffer | undefined> {
    this.live();
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const v = l.states.get(key);
      if (v !== undefined) return v === null ? undefined : Buffer.from(v);
    }
    return super.getState(key);
  }

  override async usage(): Promise<{ inodes: number; bytes: number }> {
    this.live();
    return { ...this.currentCounts() };
  }

  async allocateId(): Promise<FileId> {
    this.live();
    this.idsAllocated = true;
    return this.ids.next++;
  }

  async putInode(inode: Inode): Promise<void> {
    this.live();
    const prev = this.currentInode(inode.id);
    const c = this.mutableCounts();
    if (prev === undefined) c.inodes++;
    c.bytes += regBytes(inode) - regBytes(prev);
    this.inodes.set(inode.id, cloneInode(inode));
    // An id chosen by the caller rather than allocated must never be handed out later.
    if (inode.id >= this.ids.next) {
      this.ids.next = inode.id + 1;
      this.idsAllocated = true;
    }
  }

  async deleteInode(id: FileId): Promise<void> {
    this.live();
    const prev = this.currentInode(id);
    if (prev !== undefined) {
      const c = this.mutableCounts();
      c.inodes--;
      c.bytes -= regBytes(prev);
    }
    this.inodes.set(id, null);
    this.xattrs.delete(id);
    this.xattrsDropped.add(id);
  }

  async addEntry(dir: FileId, name: string, id: FileId, cookie: number): Promise<void> {
    this.live();
    checkKeyName(name, 'entry name');
    if ((await this.lookup(dir, name)) !== undefined) throw new FsError('EXIST', `entry ${name} exists`);
    this.ownDir(dir).set(name, { name, id, cookie });
  }

  async removeEntry(dir: FileId, name: string): Promise<void> {
    this.live();
    if ((await this.lookup(dir, name)) === undefined) throw new FsError('NOENT', `no entry ${name}`);
    this.ownDir(dir).set(name, null);
  }

  async setXattr(id: FileId, name: string, value: Buffer): Promise<void> {
    this.live();
    checkKeyName(name, 'xattr name');
    this.ownXattrs(id).set(name, Buffer.from(value));
  }

  async removeXattr(id: FileId, name: string): Promise<void> {
    this.live();
    this.ownXattrs(id).set(name, null);
  }

  async putState(key: string, value: Buffer): Promise<void> {
    this.live();
    checkKeyName(key, 'state key');
    this.states.set(key, Buffer.from(value));
  }

  async deleteState(key: string): Promise<void> {
    this.live();
    this.states.set(key, null);
  }

  /**
   * Write this overlay (only this one: earlier layers apply themselves, in
   * order, before it) into the current LMDB write transaction. Must be
   * called synchronously inside `env.childTransaction(...)`, so every
   * put/remove below commits together or not at all.
   */
  apply(): void {
    // Built on layers that failed to apply, this overlay would commit reads of writes that never happened.
    if (this.base.some((l) => !l.applied)) throw new Error('an earlier metadata commit failed');
    const { inodes, entries, cookies, xattrs, state, meta } = this.dbs;
    for (const [id, ino] of this.inodes) {
      if (ino === null) inodes.remove(id);
      else inodes.put(id, ino);
    }
    for (const id of this.xattrsDropped) {
      if (!this.xattrOwners.has(id)) continue;
      // Forgotten here, in commit order (a later overlay may give a reused id xattrs again);
      // given back by restoreXattrOwners if this commit fails.
      this.xattrOwners.delete(id);
      this.forgottenOwners.push(id);
      for (const key of xattrs.getKeys(prefixRange(id))) xattrs.remove(key);
    }
    for (const [id, names] of this.xattrs) {
      // Added before the commit is known: an id too many costs one cursor, one too few would leak xattrs.
      if (names.size > 0) this.xattrOwners.add(id);
      for (const [name, v] of names) {
        if (v === null) xattrs.remove([id, name]);
        else xattrs.put([id, name], v);
      }
    }
    for (const [dir, names] of this.dirs) {
      for (const [name, e] of names) {
        // The committed entry's cookie key goes whether the name is removed or re-added.
        const old = entries.get([dir, name]);
        if (old !== undefined) cookies.remove([dir, old[1], name]);
        if (e === null) {
          entries.remove([dir, name]);
        } else {
          entries.put([dir, name], [e.id, e.cookie]);
          cookies.put([dir, e.cookie, name], e.id);
        }
      }
    }
    for (const [key, v] of this.states) {
      if (v === null) state.remove(key);
      else state.put(key, v);
    }
    if (this.counts !== undefined) {
      meta.put('inodes', this.counts.inodes);
      meta.put('bytes', this.counts.bytes);
    }
    // Persisting the counter in the same commit as the ids it covers keeps ids unique across restarts.
    if (this.idsAllocated) meta.put('nextId', Math.max(meta.get('nextId') ?? 0, this.ids.next));
    this.applied = true;
  }

  /** This overlay's commit failed: the ids whose xattrs it dropped may still have them. */
  restoreXattrOwners(): void {
    for (const id of this.forgottenOwners) this.xattrOwners.add(id);
    this.forgottenOwners.length = 0;
  }

  /** The inode as the overlays say (null: deleted), or undefined when they say nothing. */
  private pendingInode(id: FileId): Inode | null | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const v = l.inodes.get(id);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  private currentInode(id: FileId): Inode | undefined {
    const pending = this.pendingInode(id);
    if (pending !== undefined) return pending === null ? undefined : pending;
    return this.committedInode(id);
  }

  /** The overlays' changes to `dir` folded oldest to newest, or undefined when none touched it. */
  private pendingDir(dir: FileId): Map<string, DirEntry | null> | undefined {
    let merged: Map<string, DirEntry | null> | undefined;
    let copied = false;
    for (const l of this.layers) {
      const m = l.dirs.get(dir);
      if (m === undefined) continue;
      if (merged === undefined) {
        merged = m;
        continue;
      }
      if (!copied) {
        merged = new Map(merged);
        copied = true;
      }
      for (const [name, e] of m) merged.set(name, e);
    }
    return merged;
  }

  private currentCounts(): { inodes: number; bytes: number } {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      if (l.counts !== undefined) return l.counts;
    }
    return { inodes: this.meta('inodes'), bytes: this.meta('bytes') };
  }

  private mutableCounts(): { inodes: number; bytes: number } {
    this.counts ??= { ...this.currentCounts() };
    return this.counts;
  }

  private ownDir(dir: FileId): Map<string, DirEntry | null> {
    let m = this.dirs.get(dir);
    if (m === undefined) {
      m = new Map();
      this.dirs.set(dir, m);
    }
    return m;
  }

  private ownXattrs(id: FileId): Map<string, Buffer | null> {
    let m = this.xattrs.get(id);
    if (m === undefined) {
      m = new Map();
      this.xattrs.set(id, m);
    }
    return m;
  }
}
