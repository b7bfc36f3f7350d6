import pg from 'pg';
import { FsError } from '../../../core/errors.js';
import type { Inode } from '../../../core/types.js';
import { silentLogger, type Logger } from '../../../observability/logger.js';
import type { MetadataReadTx, MetadataStore, MetadataWriteTx } from '../store.js';
import { ConflictGate } from './conflict-gate.js';
import { isRetryable, translateDbError } from './db-errors.js';
import { migrate } from './migrations.js';
import { IdBlocks, PgTx } from './pg-tx.js';
import { Statements } from './statements.js';

export interface PostgresMetadataStoreOptions {
  /** libpq-style URL, e.g. postgresql://user:pass@host:5432/db. */
  connectionString: string;
  /** Schema holding the tables (created by the migrations). Default 'dittofs'. */
  schema?: string;
  /** Namespace key of this share's rows, so several shares live in one database. Default 'default'. */
  share?: string | number;
  /** Connections in the pool (default 10): the number of transactions that run at once. */
  poolSize?: number;
  logger?: Logger;
  /** How many times an update is run before a conflict is reported as DELAY (default 40). */
  maxAttempts?: number;
}

const BEGIN_UPDATE = 'BEGIN ISOLATION LEVEL SERIALIZABLE';
const BEGIN_VIEW = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';
/** How long an idle connection may keep a finished view's snapshot before its COMMIT is sent alone. */
const READ_END_DELAY_MS = 20;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** int8 columns as numbers: every id, size, time and cookie the store writes is a safe integer. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? Number
      : pg.types.getTypeParser(oid, (format ?? 'text') as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The PostgreSQL metadata store (DESIGN.md "Metadata store", "Scaling
 * beyond one machine"): several `dfs` servers configured with the same
 * database, schema and share key serve the same share.
 *
 * Isolation: every `update` runs SERIALIZABLE. core/vfs reads inodes and
 * entries and then writes, so two renames on two servers may each read a
 * state the other is about to change; serializable snapshot isolation aborts
 * one of them (SQLSTATE 40001, or 40P01 on a deadlock) and the store runs
 * its callback again on a fresh snapshot, up to `maxAttempts` times with
 * jittered exponential backoff. Neither a lost entry nor a directory cycle
 * can commit. (The contract lets stores retry callbacks.) A retry runs
 * exclusive among this process's updates ({@link ConflictGate}), so local
 * contention degrades to one-at-a-time instead of a retry storm. `view` runs
 * REPEATABLE READ READ ONLY: one snapshot for all its reads, never aborted.
 *
 * See {@link PgTx} for how a transaction keeps its round trips low.
 */
export class PostgresMetadataStore implements MetadataStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly share: string;
  private readonly q: Statements;
  private readonly ids = new IdBlocks();
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private closed = false;
  private readonly gate = new ConflictGate();
  private readonly guarded = new WeakSet<pg.PoolClient>();
  private readonly openReads = new Map<pg.PoolClient, NodeJS.Timeout>();

  constructor(opts: PostgresMetadataStoreOptions) {
    this.schema = opts.schema ?? 'dittofs';
    // The schema name is spliced into SQL text, so it is restricted to a plain identifier.
    if (!SCHEMA_NAME.test(this.schema)) throw new Error(`invalid PostgreSQL schema name: ${this.schema}`);
    this.share = String(opts.share ?? 'default');
    this.logger = (opts.logger ?? silentLogger).child({ store: 'postgres', schema: this.schema, share: this.share });
    this.maxAttempts = opts.maxAttempts ?? 40;
    this.q = new Statements(pg.escapeIdentifier(this.schema), this.share);
    this.pool = new pg.Pool({ connectionString: opts.connectionString, max: opts.poolSize ?? 10, types });
    // An idle connection that breaks (server restart) must not crash the process; the pool drops it.
    this.pool.on('error', (err) => this.logger.warn({ err }, 'idle PostgreSQL connection failed'));
  }

  async open(init: { rootInode: Inode }): Promise<void> {
    const client = await this.connect();
    try {
      await this.endOpenRead(client);
      await migrate(client, this.schema, pg.escapeIdentifier(this.schema), this.logger);
      // ON CONFLICT DO NOTHING: opening an existing share keeps its root as it is.
      await client.query(this.q.insertInodeIfAbsent(init.rootInode));
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    this.logger.debug('metadata store opened');
  }

  async view<T>(fn: (tx: MetadataReadTx) => Promise<T>): Promise<T> {
    const client = await this.connect();
    const tx = new PgTx(client, this.q, this.share, BEGIN_VIEW, this.ids, this.claimOpenRead(client));
    try {
      return await fn(tx);
    } finally {
      tx.finish();
      if (tx.begun && tx.failure !== undefined) {
        client.query('ROLLBACK').catch((err: unknown) => this.logger.warn({ err }, 'ending a read transaction failed'));
      } else if (tx.begun || tx.endPending) {
        this.deferEnd(client);
      }
      client.release();
    }
  }

  async update<T>(fn: (tx: MetadataWriteTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const exclusive = attempt > 1;
      await this.gate.acquire(exclusive);
      let cause: unknown;
      try {
        return await this.attempt(fn);
      } catch (err) {
        // A callback may have turned the database error into its own; the first database error decides.
        cause = (err instanceof AttemptFailed ? err.dbFailure : undefined) ?? unwrap(err);
        if (!isRetryable(cause)) throw unwrap(err);
      } finally {
        this.gate.release(exclusive);
      }
      if (attempt >= this.maxAttempts) {
        this.logger.warn({ attempts: attempt }, 'metadata update still conflicting, giving up');
        const e = new FsError('DELAY', 'metadata update conflicted too often');
        (e as { cause?: unknown }).cause = cause;
        throw e;
      }
      this.logger.debug({ attempt, code: (cause as { code?: string }).code }, 'metadata update conflict, retrying');
      await backoff(attempt);
    }
  }

  /** One run of an update callback in one transaction; on failure the error carries the first database error seen. */
  private async attempt<T>(fn: (tx: MetadataWriteTx) => Promise<T>): Promise<T> {
    const client = await this.connect();
    const tx = new PgTx(client, this.q, this.share, BEGIN_UPDATE, this.ids, this.claimOpenRead(client));
    try {
      const result = await fn(tx);
      tx.finish();
      await tx.commit();
      client.release();
      return result;
    } catch (err) {
      tx.finish();
      try {
        await tx.rollback();
        client.release();
      } catch (rbErr) {
        // The connection is unusable: drop it from the pool.
        client.release(rbErr instanceof Error ? rbErr : true);
      }
      throw new AttemptFailed(err, tx.failure);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [client, timer] of this.openReads) {
      clearTimeout(timer);
      client.query('COMMIT').catch(() => undefined);
    }
    this.openReads.clear();
    await this.pool.end();
  }

  /**
   * A view's read-only transaction has nothing to make durable, so its
   * COMMIT is not a round trip of its own: it rides at the head of the next
   * message on that connection, or is sent after {@link READ_END_DELAY_MS}
   * if the connection stays idle (an open snapshot holds back vacuum).
   */
  private deferEnd(client: pg.PoolClient): void {
    const timer = setTimeout(() => {
      this.openReads.delete(client);
      client.query('COMMIT').catch((err: unknown) => this.logger.warn({ err }, 'ending a read transaction failed'));
    }, READ_END_DELAY_MS);
    timer.unref();
    this.openReads.set(client, timer);
  }

  /** 'COMMIT' if `client` still holds a view's transaction, which the caller must now send first. */
  private claimOpenRead(client: pg.PoolClient): string | undefined {
    const timer = this.openReads.get(client);
    if (timer === undefined) return undefined;
    clearTimeout(timer);
    this.openReads.delete(client);
    return 'COMMIT';
  }

  private async endOpenRead(client: pg.PoolClient): Promise<void> {
    const end = this.claimOpenRead(client);
    if (end !== undefined) await client.query(end);
  }

  private async connect(): Promise<pg.PoolClient> {
    if (this.closed) throw new FsError('IO', 'metadata store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translateDbError(err);
    }
    // pg-pool listens for errors only on idle clients. A connection that
    // breaks while checked out (server restart between two statements) would
    // otherwise be an unhandled 'error' event; its next query fails anyway.
    if (!this.guarded.has(client)) {
      this.guarded.add(client);
      client.on('error', (err) => this.logger.warn({ err }, 'PostgreSQL connection failed'));
    }
    return client;
  }
}

/** The error of one attempt, with the first database error the transaction saw (which decides about retrying). */
class AttemptFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly dbFailure: unknown,
  ) {
    super('update attempt failed');
  }
}

function unwrap(err: unknown): unknown {
  return err instanceof AttemptFailed ? err.error : err;
}

/** Full jitter (a random wait up to 2^attempt ms, capped at 50 ms): conflicting servers spread out instead of colliding again. */
function backoff(attempt: number): Promise<void> {
  const cap = Math.min(50, 2 ** attempt);
  return new Promise((r) => setTimeout(r, Math.random() * cap));
}
