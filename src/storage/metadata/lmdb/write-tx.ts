import { FsError } from '../../../core/errors.js';
import type { DirEntry, FileId, Inode } from '../../../core/types.js';
import type { MetadataWriteTx } from '../store.js';
import { CommittedReader } from './committed-reader.js';
import { cloneInode, prefixRange, regBytes, type LmdbDbs } from './layout.js';

/** Hands out inode ids; owned by the store so that a rolled-back id is never reused in this process. */
export interface IdCounter {
  next: number;
}

/**
 * One `update`: writes go to an in-memory overlay (null marks a deletion),
 * reads consult the overlay first and then the committed databases. lmdb-js
 * write transactions must run synchronously, while the contract's callbacks
 * await, so the overlay is applied in one LMDB write transaction at the end
 * by {@link LmdbWriteTx.apply}; a throw simply drops it.
 */
export class LmdbWriteTx extends CommittedReader implements MetadataWriteTx {
  private readonly inodes = new Map<FileId, Inode | null>();
  /** Per directory: name → new entry, or null when removed. */
  private readonly dirs = new Map<FileId, Map<string, DirEntry | null>>();
  /** Per inode: name → value, or null when removed. */
  private readonly xattrs = new Map<FileId, Map<string, Buffer | null>>();
  /** Inodes whose committed xattrs are all gone (the inode was deleted). */
  private readonly xattrsDropped = new Set<FileId>();
  private readonly states = new Map<string, Buffer | null>();
  private inodeDelta = 0;
  private bytesDelta = 0;
  private idsAllocated = false;
  private closed = false;

  constructor(
    dbs: LmdbDbs,
    private readonly ids: IdCounter,
  ) {
    super(dbs);
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
    const pending = this.inodes.get(id);
    if (pending !== undefined) return pending === null ? undefined : cloneInode(pending);
    return this.committedInode(id);
  }

  override async lookup(dir: FileId, name: string): Promise<DirEntry | undefined> {
    this.live();
    const pending = this.dirs.get(dir)?.get(name);
    if (pending !== undefined) return pending === null ? undefined : { ...pending };
    return super.lookup(dir, name);
  }

  override async readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]> {
    this.live();
    const pending = this.dirs.get(dir);
    if (pending === undefined) return super.readdir(dir, afterCookie, limit);
    const added: DirEntry[] = [];
    for (const e of pending.values()) if (e !== null && e.cookie > afterCookie) added.push(e);
    added.sort((a, b) => a.cookie - b.cookie);
    // Merge the committed cursor (minus names this transaction touched) with the pending additions.
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
    const pending = this.dirs.get(dir);
    if (pending === undefined) return super.hasEntries(dir);
    for (const e of pending.values()) if (e !== null) return true;
    for (const name of this.committedNames(dir)) if (!pending.has(name)) return true;
    return false;
  }

  override async getXattr(id: FileId, name: string): Promise<Buffer | undefined> {
    this.live();
    const pending = this.xattrs.get(id)?.get(name);
    if (pending !== undefined) return pending === null ? undefined : Buffer.from(pending);
    if (this.xattrsDropped.has(id)) return undefined;
    return super.getXattr(id, name);
  }

  override async listXattrs(id: FileId): Promise<string[]> {
    this.live();
    const names = new Set(this.xattrsDropped.has(id) ? [] : this.committedXattrNames(id));
    for (const [name, v] of this.xattrs.get(id) ?? []) {
      if (v === null) names.delete(name);
      else names.add(name);
    }
    return [...names];
  }

  override async getState(key: string): Promise<Buffer | undefined> {
    this.live();
    const pending = this.states.get(key);
    if (pending !== undefined) return pending === null ? undefined : Buffer.from(pending);
    return super.getState(key);
  }

  override async usage(): Promise<{ inodes: number; bytes: number }> {
    this.live();
    return { inodes: this.meta('inodes') + this.inodeDelta, bytes: this.meta('bytes') + this.bytesDelta };
  }

  async allocateId(): Promise<FileId> {
    this.live();
    this.idsAllocated = true;
    return this.ids.next++;
  }

  async putInode(inode: Inode): Promise<void> {
    this.live();
    const prev = this.currentInode(inode.id);
    if (prev !== undefined) this.inodeDelta--;
    this.inodeDelta++;
    this.bytesDelta += regBytes(inode) - regBytes(prev);
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
      this.inodeDelta--;
      this.bytesDelta -= regBytes(prev);
    }
    this.inodes.set(id, null);
    this.xattrs.delete(id);
    this.xattrsDropped.add(id);
  }

  async addEntry(dir: FileId, name: string, id: FileId, cookie: number): Promise<void> {
    this.live();
    if ((await this.lookup(dir, name)) !== undefined) throw new FsError('EXIST', `entry ${name} exists`);
    this.pendingDir(dir).set(name, { name, id, cookie });
  }

  async removeEntry(dir: FileId, name: string): Promise<void> {
    this.live();
    if ((await this.lookup(dir, name)) === undefined) throw new FsError('NOENT', `no entry ${name}`);
    this.pendingDir(dir).set(name, null);
  }

  async setXattr(id: FileId, name: string, value: Buffer): Promise<void> {
    this.live();
    this.pendingXattrs(id).set(name, Buffer.from(value));
  }

  async removeXattr(id: FileId, name: string): Promise<void> {
    this.live();
    this.pendingXattrs(id).set(name, null);
  }

  async putState(key: string, value: Buffer): Promise<void> {
    this.live();
    this.states.set(key, Buffer.from(value));
  }

  async deleteState(key: string): Promise<void> {
    this.live();
    this.states.set(key, null);
  }

  /**
   * Write the overlay into the current LMDB write transaction. Must be called
   * synchronously inside `env.transaction(...)`: every put/remove below then
   * commits together or not at all.
   */
  apply(): void {
    const { inodes, entries, cookies, xattrs, state, meta } = this.dbs;
    for (const [id, ino] of this.inodes) {
      if (ino === null) inodes.remove(id);
      else inodes.put(id, ino);
    }
    for (const id of this.xattrsDropped) {
      for (const key of xattrs.getKeys(prefixRange(id))) xattrs.remove(key);
    }
    for (const [id, names] of this.xattrs) {
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
    if (this.inodeDelta !== 0) meta.put('inodes', (meta.get('inodes') ?? 0) + this.inodeDelta);
    if (this.bytesDelta !== 0) meta.put('bytes', (meta.get('bytes') ?? 0) + this.bytesDelta);
    // Persisting the counter in the same commit as the ids it covers keeps ids unique across restarts.
    if (this.idsAllocated) meta.put('nextId', Math.max(meta.get('nextId') ?? 0, this.ids.next));
  }

  private currentInode(id: FileId): Inode | undefined {
    const pending = this.inodes.get(id);
    if (pending !== undefined) return pending === null ? undefined : pending;
    return this.committedInode(id);
  }

  private pendingDir(dir: FileId): Map<string, DirEntry | null> {
    let m = this.dirs.get(dir);
    if (m === undefined) {
      m = new Map();
      this.dirs.set(dir, m);
    }
    return m;
  }

  private pendingXattrs(id: FileId): Map<string, Buffer | null> {
    let m = this.xattrs.get(id);
    if (m === undefined) {
      m = new Map();
      this.xattrs.set(id, m);
    }
    return m;
  }
}
