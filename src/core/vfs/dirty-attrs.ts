import type { DirEntry, FileId, Inode } from '../types.js';
import type { MetadataReadTx, MetadataWriteTx } from '../../storage/metadata/store.js';
import { compareTime } from './times.js';

/**
 * Attributes changed by UNSTABLE writes and not persisted yet.
 *
 * RFC 1813 §3.3.7: the data of an UNSTABLE write, and the metadata that goes
 * with it, may stay volatile until a COMMIT; the write verifier changes at a
 * restart, so clients resend what they had not committed. An UNSTABLE write
 * therefore changes size, mtime, ctime and the change counter here only, and
 * its reply waits for no metadata commit. Whoever reads an inode (GETATTR,
 * LOOKUP, READDIRPLUS, every metadata update) sees the stored record with
 * these values laid over it ({@link DirtyAttrs.apply}); an update that reads
 * a dirty inode persists the merged record in its own transaction (see
 * {@link OverlayWriteTx}), and COMMIT, stable writes and a timer persist the rest.
 *
 * A read's atime (relatime, see times.ts) is kept here the same way: atime
 * is not a change (§3.3.6 asks nothing of it), so a READ waits for no
 * metadata commit either.
 *
 * Each entry is the whole inode as the last UNSTABLE write or read left it,
 * but only the fields such a write changes (size, mtime, ctime, change,
 * contentId; `sizeTimes`) and a newer atime are laid over the stored record,
 * and only while that record is not newer: a stored `change` above the
 * entry's means a later update (truncate, chmod, ...) already merged it, so
 * the entry is spent.
 */
export class DirtyAttrs {
  private readonly byId = new Map<FileId, { ino: Inode; version: number; sizeTimes: boolean }>();
  private nextVersion = 1;

  get size(): number {
    return this.byId.size;
  }

  has(id: FileId): boolean {
    return this.byId.has(id);
  }

  ids(): FileId[] {
    return [...this.byId.keys()];
  }

  /** Record `ino` (built on the merged inode) as the in-memory truth of its file's size and times. */
  set(ino: Inode): void {
    this.byId.set(ino.id, { ino, version: this.nextVersion++, sizeTimes: true });
  }

  /** Record the atime of `ino` (the merged inode with the new atime), keeping any later write's entry. */
  touch(ino: Inode): void {
    const d = this.byId.get(ino.id);
    if (d !== undefined && d.ino.generation === ino.generation && d.ino.change >= ino.change) {
      if (compareTime(ino.atime, d.ino.atime) > 0) {
        d.ino = { ...d.ino, atime: ino.atime };
        d.version = this.nextVersion++;
      }
      return;
    }
    this.byId.set(ino.id, { ino, version: this.nextVersion++, sizeTimes: false });
  }

  /** The version of `id`'s entry, if any (to drop it later only if no write replaced it meanwhile). */
  version(id: FileId): number | undefined {
    return this.byId.get(id)?.version;
  }

  /**
   * The newest in-memory inode of `seen`'s file: the entry when it is of the same file and not
   * older than `seen` (another write finished meanwhile), else `seen`.
   */
  latest(seen: Inode): Inode {
    const d = this.byId.get(seen.id);
    if (d === undefined || d.ino.generation !== seen.generation || d.ino.change < seen.change) return seen;
    return d.ino;
  }

  /** `stored` with the dirty attributes of its file laid over it; `stored` itself when none apply. */
  apply(stored: Inode | undefined, id: FileId): Inode | undefined {
    const d = this.byId.get(id);
    if (d === undefined) return stored;
    if (stored === undefined) {
      // Removed: the entry can never apply again (ids are never reused with a generation).
      this.byId.delete(id);
      return undefined;
    }
    const w = d.ino;
    if (stored.generation !== w.generation || stored.change > w.change) return stored;
    let out = stored;
    if (d.sizeTimes) {
      out = { ...stored, size: w.size, mtime: w.mtime, ctime: w.ctime, change: w.change, contentId: w.contentId };
    }
    if (compareTime(w.atime, stored.atime) > 0) out = { ...out, atime: w.atime };
    return out;
  }

  /** Forget `id`'s entry if it is still `version` (a later write keeps its own). */
  drop(id: FileId, version: number | undefined): void {
    const d = this.byId.get(id);
    if (d !== undefined && (version === undefined || d.version === version)) this.byId.delete(id);
  }
}

/** A read transaction that shows inodes with their dirty attributes. */
export class OverlayReadTx implements MetadataReadTx {
  constructor(
    protected readonly tx: MetadataReadTx,
    protected readonly dirty: DirtyAttrs,
  ) {}

  async getInode(id: FileId): Promise<Inode | undefined> {
    return this.dirty.apply(await this.tx.getInode(id), id);
  }
  lookup(dir: FileId, name: string): Promise<DirEntry | undefined> {
    return this.tx.lookup(dir, name);
  }
  readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]> {
    return this.tx.readdir(dir, afterCookie, limit);
  }
  hasEntries(dir: FileId): Promise<boolean> {
    return this.tx.hasEntries(dir);
  }
  getXattr(id: FileId, name: string): Promise<Buffer | undefined> {
    return this.tx.getXattr(id, name);
  }
  listXattrs(id: FileId): Promise<string[]> {
    return this.tx.listXattrs(id);
  }
  getState(key: string): Promise<Buffer | undefined> {
    return this.tx.getState(key);
  }
  usage(): Promise<{ inodes: number; bytes: number }> {
    return this.tx.usage();
  }
  listInodes(afterId: FileId, limit: number): Promise<Inode[]> {
    return this.tx.listInodes(afterId, limit);
  }
}

/**
 * A write transaction that shows inodes with their dirty attributes and
 * persists every merged inode it read: {@link persistMerged} before the
 * commit puts the merged record of each one the callback neither put nor
 * deleted, and {@link settle} after the commit forgets the entries that
 * reached the store (or whose file went away), so a removed file's size
 * cannot come back.
 */
export class OverlayWriteTx extends OverlayReadTx implements MetadataWriteTx {
  /** Inodes read with dirty attributes laid over them, and the entry version that was merged. */
  private readonly merged = new Map<FileId, { ino: Inode; version: number | undefined }>();
  private readonly written = new Set<FileId>();
  private readonly deleted = new Set<FileId>();

  constructor(
    private readonly wtx: MetadataWriteTx,
    dirty: DirtyAttrs,
  ) {
    super(wtx, dirty);
  }

  override async getInode(id: FileId): Promise<Inode | undefined> {
    const stored = await this.wtx.getInode(id);
    const version = this.dirty.version(id);
    const ino = this.dirty.apply(stored, id);
    if (ino !== undefined && ino !== stored && !this.merged.has(id)) this.merged.set(id, { ino, version });
    return ino;
  }

  allocateId(): Promise<FileId> {
    return this.wtx.allocateId();
  }
  async putInode(inode: Inode): Promise<void> {
    this.written.add(inode.id);
    this.deleted.delete(inode.id);
    await this.wtx.putInode(inode);
  }
  async deleteInode(id: FileId): Promise<void> {
    this.deleted.add(id);
    this.written.delete(id);
    await this.wtx.deleteInode(id);
  }
  addEntry(dir: FileId, name: string, id: FileId, cookie: number): Promise<void> {
    return this.wtx.addEntry(dir, name, id, cookie);
  }
  removeEntry(dir: FileId, name: string): Promise<void> {
    return this.wtx.removeEntry(dir, name);
  }
  setXattr(id: FileId, name: string, value: Buffer): Promise<void> {
    return this.wtx.setXattr(id, name, value);
  }
  removeXattr(id: FileId, name: string): Promise<void> {
    return this.wtx.removeXattr(id, name);
  }
  putState(key: string, value: Buffer): Promise<void> {
    return this.wtx.putState(key, value);
  }
  deleteState(key: string): Promise<void> {
    return this.wtx.deleteState(key);
  }

  /** Put the merged record of every dirty inode read but left alone by the callback. */
  async persistMerged(): Promise<void> {
    for (const [id, m] of this.merged) {
      if (!this.written.has(id) && !this.deleted.has(id)) await this.wtx.putInode(m.ino);
    }
  }

  /** After the commit: the merged entries are in the store now (or their inode is gone). */
  settle(): void {
    for (const [id, m] of this.merged) if (!this.deleted.has(id)) this.dirty.drop(id, m.version);
    for (const id of this.deleted) this.dirty.drop(id, undefined);
  }
}
