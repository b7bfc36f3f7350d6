import pg from 'pg';
import { FsError } from '../../../core/errors.js';
import type { FileId, Inode } from '../../../core/types.js';
import { INODE_COLUMNS, inodeValues, type SqlValue } from './rows.js';

/** A parameterized read, run as a named prepared statement (parsed and planned once per connection). */
export interface ReadStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * A value as an SQL literal, for statements sent in a multi-statement batch
 * (the simple query protocol, which takes no parameters). Only the store's
 * own values reach here: integers (checked), strings (quoted by
 * node-postgres' escapeLiteral), byte strings (hex bytea) and NULL.
 */
export function literal(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new FsError('INVAL', `not an integer: ${v}`);
    return String(v);
  }
  if (typeof v === 'string') {
    // PostgreSQL text cannot hold NUL, and in a simple-protocol message it would end the query string.
    if (v.includes('\0')) throw new FsError('INVAL', 'NUL in a name or value');
    return pg.escapeLiteral(v);
  }
  return `'\\x${v.toString('hex')}'::bytea`;
}

/** `text` with each $n replaced by the literal of values[n-1]. Statement texts are the store's own and hold no `$` otherwise. */
export function render(text: string, values: readonly SqlValue[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(values[Number(n) - 1]));
}

const INODE_SELECT = INODE_COLUMNS.join(', ');
const INODE_UPDATE = INODE_COLUMNS.filter((c) => c !== 'id')
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ');

/**
 * Every statement of the store for one schema (`s`, quoted) and one share
 * key. Reads are parameterized ($1 is always the share); writes are rendered
 * to literal SQL because the write transaction sends them batched (see
 * PgTx).
 */
export class Statements {
  readonly getInode: ReadStatement;
  readonly lookup: ReadStatement;
  readonly readdir: ReadStatement;
  readonly hasEntries: ReadStatement;
  readonly getXattr: ReadStatement;
  readonly listXattrs: ReadStatement;
  readonly getState: ReadStatement;
  readonly usage: ReadStatement;
  readonly listInodes: ReadStatement;
  readonly nextIdBlock: ReadStatement;
  private readonly shareLit: string;

  constructor(
    private readonly s: string,
    share: string,
  ) {
    this.shareLit = literal(share);
    // Prepared statement names are per connection and each store has its own pool, so fixed names are unique.
    const st = (name: string, text: string): ReadStatement => ({ name: `dfs_${name}`, text });
    this.getInode = st('get_inode', `SELECT ${INODE_SELECT} FROM ${s}.inodes WHERE share = $1 AND id = $2`);
    this.lookup = st('lookup', `SELECT child, cookie FROM ${s}.dirents WHERE share = $1 AND dir = $2 AND name = $3`);
    // Served by the unique (share, dir, cookie) index: reads `limit` index entries after the cookie, nothing more.
    this.readdir = st(
      'readdir',
      `SELECT name, child, cookie FROM ${s}.dirents WHERE share = $1 AND dir = $2 AND cookie > $3 ORDER BY cookie LIMIT $4`,
    );
    this.hasEntries = st('has_entries', `SELECT 1 AS one FROM ${s}.dirents WHERE share = $1 AND dir = $2 LIMIT 1`);
    this.getXattr = st('get_xattr', `SELECT value FROM ${s}.xattrs WHERE share = $1 AND id = $2 AND name = $3`);
    this.listXattrs = st('list_xattrs', `SELECT name FROM ${s}.xattrs WHERE share = $1 AND id = $2 ORDER BY name`);
    this.getState = st('get_state', `SELECT value FROM ${s}.state WHERE share = $1 AND key = $2`);
    this.usage = st(
      'usage',
      `SELECT count(*) AS inodes, coalesce(sum(size) FILTER (WHERE type = 'reg'), 0)::bigint AS bytes
         FROM ${s}.inodes WHERE share = $1`,
    );
    this.listInodes = st(
      'list_inodes',
      `SELECT ${INODE_SELECT} FROM ${s}.inodes WHERE share = $1 AND id > $2 ORDER BY id LIMIT $3`,
    );
    this.nextIdBlock = st('next_id_block', `SELECT nextval(${literal(`${s}.inode_ids`)}::regclass) AS v`);
  }

  putInode(i: Inode): string {
    const vals = inodeValues(i).map(literal).join(', ');
    return `INSERT INTO ${this.s}.inodes (share, ${INODE_SELECT}) VALUES (${this.shareLit}, ${vals})
      ON CONFLICT (share, id) DO UPDATE SET ${INODE_UPDATE}`;
  }

  insertInodeIfAbsent(i: Inode): string {
    const vals = inodeValues(i).map(literal).join(', ');
    return `INSERT INTO ${this.s}.inodes (share, ${INODE_SELECT}) VALUES (${this.shareLit}, ${vals}) ON CONFLICT DO NOTHING`;
  }

  deleteInode(id: FileId): string {
    const where = `share = ${this.shareLit} AND id = ${literal(id)}`;
    return `DELETE FROM ${this.s}.xattrs WHERE ${where}; DELETE FROM ${this.s}.inodes WHERE ${where}`;
  }

  /** One row of {@link addEntries}. */
  entryRow(dir: FileId, name: string, id: FileId, cookie: number): string {
    return `(${this.shareLit}, ${literal(dir)}, ${literal(name)}, ${literal(id)}, ${literal(cookie)})`;
  }

  /** A plain INSERT: an existing name violates the primary key, which aborts the batch (the contract's EXIST). */
  addEntries(rows: readonly string[]): string {
    return `INSERT INTO ${this.s}.dirents (share, dir, name, child, cookie) VALUES ${rows.join(', ')}`;
  }

  /** Removes every name or aborts the batch with no_data_found (the contract's NOENT). A name listed twice counts twice. */
  removeEntries(dir: FileId, names: readonly string[]): string {
    return `WITH d AS (DELETE FROM ${this.s}.dirents
        WHERE share = ${this.shareLit} AND dir = ${literal(dir)} AND name IN (${names.map(literal).join(', ')})
        RETURNING 1)
      SELECT ${this.s}.expect_rows((SELECT count(*) FROM d), ${names.length})`;
  }

  setXattr(id: FileId, name: string, value: Buffer): string {
    return `INSERT INTO ${this.s}.xattrs (share, id, name, value)
      VALUES (${this.shareLit}, ${literal(id)}, ${literal(name)}, ${literal(value)})
      ON CONFLICT (share, id, name) DO UPDATE SET value = EXCLUDED.value`;
  }

  removeXattr(id: FileId, name: string): string {
    return `DELETE FROM ${this.s}.xattrs WHERE share = ${this.shareLit} AND id = ${literal(id)} AND name = ${literal(name)}`;
  }

  putState(key: string, value: Buffer): string {
    return `INSERT INTO ${this.s}.state (share, key, value) VALUES (${this.shareLit}, ${literal(key)}, ${literal(value)})
      ON CONFLICT (share, key) DO UPDATE SET value = EXCLUDED.value`;
  }

  deleteState(key: string): string {
    return `DELETE FROM ${this.s}.state WHERE share = ${this.shareLit} AND key = ${literal(key)}`;
  }
}
