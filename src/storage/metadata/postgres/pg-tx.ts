import type pg from 'pg';
import { FsError } from '../../../core/errors.js';
import type { DirEntry, FileId, Inode } from '../../../core/types.js';
import type { MetadataWriteTx } from '../store.js';
import { translateDbError } from './db-errors.js';
import { ID_BLOCK } from './migrations.js';
import { rowToInode, type InodeRow, type SqlValue } from './rows.js';
import { render, type ReadStatement, type Statements } from './statements.js';

/** Ids reserved from the sequence and not yet handed out, shared by all transactions of one store. */
export class IdBlocks {
  private next = 0;
  private end = 0;
  private readonly spare: number[] = [];

  take(): number | undefined {
    if (this.next >= this.end) {
      const start = this.spare.shift();
      if (start === undefined) return undefined;
      this.next = start;
      this.end = start + ID_BLOCK;
    }
    return this.next++;
  }

  add(start: number): void {
    this.spare.push(start);
  }
}

/** Flush deferred writes once this much SQL is buffered, so a bulk update does not hold it all. */
const FLUSH_BYTES = 1 << 20;
/** Rows per multi-row INSERT / names per DELETE ... IN. */
const RUN_MAX = 1000;

/**
 * One transaction on one pooled connection, used for both `view` (read-only)
 * and `update`.
 *
 * Round trips are what a PostgreSQL store costs, so:
 * - BEGIN is not sent alone: it travels with the transaction's first read
 *   (or with its commit when the callback only wrote), as one
 *   multi-statement message.
 * - Writes are deferred and batched: they are rendered to SQL and sent
 *   together with the next read (reads see the transaction's own writes) or
 *   with COMMIT. Consecutive addEntry calls become one multi-row INSERT and
 *   consecutive removeEntry calls in one directory one DELETE. A create in
 *   core/vfs (lookup, getInode, putInode x2, addEntry) costs three round trips:
 *   BEGIN+lookup, getInode, writes+COMMIT.
 * - Reads with nothing pending run as named prepared statements.
 *
 * A consequence of deferral: the contract's EXIST (addEntry) and NOENT
 * (removeEntry) surface from the call that sends the batch: the next read,
 * or the commit, so the update still fails with that code. core/vfs checks
 * names before writing and never catches those errors inside a transaction.
 *
 * The first database error is kept in {@link failure}: after it the
 * transaction is aborted on the server, and the store decides from it whether
 * to retry the whole callback (serialization failure, deadlock).
 */
export class PgTx implements MetadataWriteTx {
  /** BEGIN has been sent (possibly in a batch still in flight). */
  begun = false;
  failure: unknown;
  private finished = false;
  private pending: string[] = [];
  private pendingBytes = 0;
  private adds: string[] = [];
  private removeDir: FileId = 0;
  private removes: string[] = [];

  constructor(
    private readonly client: pg.PoolClient,
    private readonly q: Statements,
    private readonly share: string,
    private readonly beginSql: string,
    private readonly ids: IdBlocks,
    /**
     * 'COMMIT' when the connection still holds the read-only transaction of
     * an earlier view (see PostgresMetadataStore.view): sent at the head of
     * this transaction's first message.
     */
    private prefix: string | undefined,
  ) {}

  /** The earlier view's transaction is still open on the connection (nothing was sent). */
  get endPending(): boolean {
    return this.prefix !== undefined;
  }

  finish(): void {
    this.finished = true;
  }

  async getInode(id: FileId): Promise<Inode | undefined> {
    const rows = await this.read<InodeRow>(this.q.getInode, [this.share, id]);
    return rows.length === 0 ? undefined : rowToInode(rows[0]);
  }

  async lookup(dir: FileId, name: string): Promise<DirEntry | undefined> {
    const rows = await this.read<{ child: number; cookie: number }>(this.q.lookup, [this.share, dir, name]);
    return rows.length === 0 ? undefined : { name, id: rows[0].child, cookie: rows[0].cookie };
  }

  async readdir(dir: FileId, afterCookie: number, limit: number): Promise<DirEntry[]> {
    if (limit <= 0) return [];
    const rows = await this.read<{ name: string; child: number; cookie: number }>(this.q.readdir, [
      this.share,
      dir,
      afterCookie,
      limit,
    ]);
    const out: DirEntry[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = { name: rows[i].name, id: rows[i].child, cookie: rows[i].cookie };
    return out;
  }

  async hasEntries(dir: FileId): Promise<boolean> {
    return (await this.read(this.q.hasEntries, [this.share, dir])).length > 0;
  }

  async getXattr(id: FileId, name: string): Promise<Buffer | undefined> {
    const rows = await this.read<{ value: Buffer }>(this.q.getXattr, [this.share, id, name]);
    return rows.length === 0 ? undefined : rows[0].value;
  }

  async listXattrs(id: FileId): Promise<string[]> {
    return (await this.read<{ name: string }>(this.q.listXattrs, [this.share, id])).map((r) => r.name);
  }

  async getState(key: string): Promise<Buffer | undefined> {
    const rows = await this.read<{ value: Buffer }>(this.q.getState, [this.share, key]);
    return rows.length === 0 ? undefined : rows[0].value;
  }

  async usage(): Promise<{ inodes: number; bytes: number }> {
    const rows = await this.read<{ inodes: number; bytes: number }>(this.q.usage, [this.share]);
    return { inodes: rows[0].inodes, bytes: rows[0].bytes };
  }

  async listInodes(afterId: FileId, limit: number): Promise<Inode[]> {
    if (limit <= 0) return [];
    return (await this.read<InodeRow>(this.q.listInodes, [this.share, afterId, limit])).map(rowToInode);
  }

  async allocateId(): Promise<FileId> {
    this.live();
    for (;;) {
      const id = this.ids.take();
      if (id !== undefined) return id;
      // nextval is not transactional: the block stays reserved even if this transaction rolls back.
      const rows = await this.query<{ v: number }>(this.q.nextIdBlock, []);
      this.ids.add(rows[0].v);
    }
  }

  async putInode(inode: Inode): Promise<void> {
    this.defer(this.q.putInode(inode));
  }

  async deleteInode(id: FileId): Promise<void> {
    this.defer(this.q.deleteInode(id));
  }

  async addEntry(dir: FileId, name: string, id: FileId, cookie: number): Promise<void> {
    this.live();
    this.closeRemoves();
    this.adds.push(this.q.entryRow(dir, name, id, cookie));
    if (this.adds.length >= RUN_MAX) this.closeAdds();
    await this.flushIfLarge();
  }

  async removeEntry(dir: FileId, name: string): Promise<void> {
    this.live();
    this.closeAdds();
    if (this.removes.length > 0 && (this.removeDir !== dir || this.removes.length >= RUN_MAX)) this.closeRemoves();
    this.removeDir = dir;
    this.removes.push(name);
    await this.flushIfLarge();
  }

  async setXattr(id: FileId, name: string, value: Buffer): Promise<void> {
    this.defer(this.q.setXattr(id, name, value));
  }

  async removeXattr(id: FileId, name: string): Promise<void> {
    this.defer(this.q.removeXattr(id, name));
  }

  async putState(key: string, value: Buffer): Promise<void> {
    this.defer(this.q.putState(key, value));
  }

  async deleteState(key: string): Promise<void> {
    this.defer(this.q.deleteState(key));
  }

  /** Send what is pending followed by COMMIT (with BEGIN first if nothing was sent yet). No-op for an untouched transaction. */
  async commit(): Promise<void> {
    this.closeRuns();
    if (!this.begun && this.pending.length === 0) {
      await this.sendPrefix();
      return;
    }
    await this.sendBatch('COMMIT');
  }

  /** Roll back on the server if anything was sent. Rejects when the connection is unusable. */
  async rollback(): Promise<void> {
    if (this.begun) await this.client.query('ROLLBACK');
    else await this.sendPrefix();
  }

  private async sendPrefix(): Promise<void> {
    const p = this.prefix;
    this.prefix = undefined;
    if (p !== undefined) await this.client.query(p);
  }

  private live(): void {
    if (this.finished) throw new FsError('IO', 'metadata transaction used after it ended');
  }

  private defer(sql: string): void {
    this.live();
    this.closeRuns();
    this.pending.push(sql);
    this.pendingBytes += sql.length;
  }

  private closeAdds(): void {
    if (this.adds.length === 0) return;
    const sql = this.q.addEntries(this.adds);
    this.adds = [];
    this.pending.push(sql);
    this.pendingBytes += sql.length;
  }

  private closeRemoves(): void {
    if (this.removes.length === 0) return;
    const sql = this.q.removeEntries(this.removeDir, this.removes);
    this.removes = [];
    this.pending.push(sql);
    this.pendingBytes += sql.length;
  }

  private closeRuns(): void {
    this.closeAdds();
    this.closeRemoves();
  }

  private async flushIfLarge(): Promise<void> {
    if (this.pendingBytes + this.adds.length * 64 + this.removes.length * 32 < FLUSH_BYTES) return;
    this.closeRuns();
    await this.sendBatch(undefined);
  }

  private async read<R>(stmt: ReadStatement, values: SqlValue[]): Promise<R[]> {
    this.live();
    this.closeRuns();
    if (this.begun && this.pending.length === 0) return this.query<R>(stmt, values);
    return this.sendBatch<R>(render(stmt.text, values));
  }

  /** One prepared statement; the transaction is already open. */
  private async query<R>(stmt: ReadStatement, values: SqlValue[]): Promise<R[]> {
    try {
      await this.sendPrefix();
      const r = await this.client.query({ name: stmt.name, text: stmt.text, values });
      return r.rows as R[];
    } catch (err) {
      this.failure ??= err;
      throw translateDbError(err);
    }
  }

  /**
   * [BEGIN;] pending writes; [last] as one simple-protocol message. Returns
   * the rows of the last statement. On the first error the server skips the
   * rest of the message and the transaction is aborted.
   */
  private async sendBatch<R>(last: string | undefined): Promise<R[]> {
    const parts = this.begun ? this.pending : [this.beginSql, ...this.pending];
    if (this.prefix !== undefined) parts.unshift(this.prefix);
    this.prefix = undefined;
    if (last !== undefined) parts.push(last);
    this.pending = [];
    this.pendingBytes = 0;
    this.begun = true;
    try {
      const r = (await this.client.query(parts.join(';\n'))) as pg.QueryResult | pg.QueryResult[];
      const final = Array.isArray(r) ? r[r.length - 1] : r;
      return final.rows as R[];
    } catch (err) {
      this.failure ??= err;
      throw translateDbError(err);
    }
  }
}
