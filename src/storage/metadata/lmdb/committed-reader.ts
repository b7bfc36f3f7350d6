import type { Transaction } from 'lmdb';
import type { DirEntry, FileId, Inode } from '../../../core/types.js';
import type { MetadataReadTx } from '../store.js';
import { prefixRange, type CookieKey, type LmdbDbs } from './layout.js';

/**
 * Reads of committed state. With a `snapshot` (an LMDB read transaction
 * pinned by `view`), every read sees the same commit; without one, each read
 * sees the latest commit, which inside `update` is stable because updates are
 * serialized and only this process writes the environment.
 */
export class CommittedReader implements MetadataReadTx {
  private readonly opts: { transaction: Transaction } | undefined;

  constructor(
    protected readonly dbs: LmdbDbs,
    snapshot?: Transaction,
  ) {
    this.opts = snapshot === undefined ? undefined : { transaction: snapshot };
  }

  async getInode(id: FileId): Promise<Inode | undefined> {
    return this.committedInode(id);
  }

  async lookup(dir: FileId, name: string): Promise<DirEntry | undefined> {
    const v = this.dbs.entries.get([dir, name], this.opts);
    return v === undefined ? undefined : { name, id: v[0], cookie: v[1] };
  }

  async readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]> {
    const out: DirEntry[] = [];
    if (limit <= 0) return out;
    for (const e of this.committedEntriesAfter(dir, afterCookie)) {
      out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  async hasEntries(dir: FileId): Promise<boolean> {
    for (const _ of this.dbs.entries.getKeys({ ...prefixRange(dir), limit: 1, ...this.opts })) return true;
    return false;
  }

  async getXattr(id: FileId, name: string): Promise<Buffer | undefined> {
    return this.dbs.xattrs.get([id, name], this.opts);
  }

  async listXattrs(id: FileId): Promise<string[]> {
    return this.committedXattrNames(id);
  }

  async getState(key: string): Promise<Buffer | undefined> {
    return this.dbs.state.get(key, this.opts);
  }

  async usage(): Promise<{ inodes: number; bytes: number }> {
    return { inodes: this.meta('inodes'), bytes: this.meta('bytes') };
  }

  async listInodes(afterId: FileId, limit: number): Promise<Inode[]> {
    const out: Inode[] = [];
    if (limit <= 0) return out;
    for (const ino of this.committedInodesAfter(afterId)) {
      out.push(ino);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Committed inodes with id > `after`, lazily, in id order (an ordered cursor; ids are integers). */
  protected *committedInodesAfter(after: FileId): Generator<Inode> {
    for (const { value } of this.dbs.inodes.getRange({ start: Math.floor(after) + 1, ...this.opts })) yield value;
  }

  protected committedInode(id: FileId): Inode | undefined {
    // lmdb-js decodes a fresh object on every get (no cache is configured), so no aliasing.
    return this.dbs.inodes.get(id, this.opts);
  }

  protected meta(key: 'inodes' | 'bytes' | 'nextId'): number {
    return this.dbs.meta.get(key, this.opts) ?? 0;
  }

  /** Committed entries of `dir` with cookie > `after`, lazily, in cookie order (an ordered cursor). */
  protected *committedEntriesAfter(dir: FileId, after: number): Generator<DirEntry> {
    // [dir, after] sorts before every [dir, after, name], so entries with the
    // cookie `after` itself are in range and skipped here.
    const range = this.dbs.cookies.getRange({ start: [dir, after], end: [dir + 1], ...this.opts });
    for (const { key, value } of range) {
      const k = key as CookieKey;
      if (k[1] <= after) continue;
      yield { name: k[2], id: value, cookie: k[1] };
    }
  }

  /** Names of the committed entries of `dir` (an ordered key-only cursor). */
  protected *committedNames(dir: FileId): Generator<string> {
    for (const key of this.dbs.entries.getKeys({ ...prefixRange(dir), ...this.opts })) yield key[1];
  }

  protected committedXattrNames(id: FileId): string[] {
    const names: string[] = [];
    for (const key of this.dbs.xattrs.getKeys({ ...prefixRange(id), ...this.opts })) names.push(key[1]);
    return names;
  }
}
