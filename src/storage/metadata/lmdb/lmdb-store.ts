import type { FileId, Inode } from '../../../core/types.js';
import { silentLogger, type Logger } from '../../../observability/logger.js';
import type { MetadataReadTx, MetadataStore, MetadataWriteTx } from '../store.js';
import { CommittedReader } from './committed-reader.js';
import { openDbs, regBytes, SCHEMA_VERSION, type LmdbDbs } from './layout.js';
import { acquireOwner } from './owner-lock.js';
import { LmdbWriteTx, type IdCounter } from './write-tx.js';

export interface LmdbMetadataStoreOptions {
  /** Directory of the LMDB environment (created if missing). */
  path: string;
  logger?: Logger;
  /**
   * Skip fsync on commit (tests, benchmarks). A process crash still leaves a
   * consistent store; a machine crash may lose recent commits or worse.
   */
  noSync?: boolean;
}

/**
 * The embedded on-disk metadata store (DESIGN.md "Metadata store"), on LMDB
 * via lmdb-js. Crash safety comes from LMDB itself: a commit is one atomic
 * switch of the meta page, so a `kill -9` at any moment leaves the state of
 * the last commit, and every `update` is exactly one commit.
 *
 * Updates are serialized by an async lock and buffered in an overlay
 * ({@link LmdbWriteTx}) that is applied in one LMDB write transaction. The
 * lock is released as soon as that commit is queued: the next update reads
 * through the queued overlays, and lmdb-js runs the commits queued meanwhile
 * in one LMDB transaction (group commit), in order. The caller's promise
 * resolves only once its commit is flushed to disk (`overlappingSync`).
 */
export class LmdbMetadataStore implements MetadataStore {
  readonly kind = 'lmdb';
  private dbs: LmdbDbs | undefined;
  private readonly ids: IdCounter = { next: 1 };
  /** Tail of the update queue: resolves when the last queued update has committed or failed. */
  private writeTail: Promise<void> = Promise.resolve();
  /** Updates whose callback has finished and whose commit is queued but not yet visible, oldest first. */
  private readonly queued: LmdbWriteTx[] = [];
  private lastCommit: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;
  private releaseOwner: (() => Promise<void>) | undefined;
  /** Ids with committed xattrs (see LmdbWriteTx): read at open, kept by the commits. */
  private readonly xattrOwners = new Set<FileId>();

  constructor(private readonly opts: LmdbMetadataStoreOptions) {
    this.logger = (opts.logger ?? silentLogger).child({ store: 'lmdb' });
  }

  async open(init: { rootInode: Inode }): Promise<void> {
    if (this.dbs === undefined) {
      this.releaseOwner = await acquireOwner(this.opts.path);
      try {
        this.dbs = openDbs(this.opts.path, this.opts.noSync ?? false);
      } catch (err) {
        await this.releaseOwner();
        throw err;
      }
      // Reader slots left by a killed process would keep LMDB from reusing pages.
      const stale = this.dbs.env.readerCheck();
      if (stale > 0) this.logger.info({ stale }, 'cleared stale LMDB readers');
    }
    const { env, inodes, meta } = this.dbs;
    const root = init.rootInode;
    const nextId = await env.childTransaction(() => {
      const schema = meta.get('schema');
      if (schema !== undefined && schema > SCHEMA_VERSION) {
        throw new Error(`metadata store at ${this.opts.path} has schema ${schema}, newer than ${SCHEMA_VERSION}`);
      }
      if (schema !== undefined && schema < SCHEMA_VERSION) {
        // Schema 1 (inodes as self-describing maps) predates any deployment: no migration.
        throw new Error(
          `metadata store at ${this.opts.path} has schema ${schema}, older than ${SCHEMA_VERSION} ` +
            `(inode records changed); this version cannot open it: recreate the store`,
        );
      }
      if (schema === undefined) meta.put('schema', SCHEMA_VERSION);
      if (inodes.get(root.id) === undefined) {
        inodes.put(root.id, root);
        meta.put('inodes', (meta.get('inodes') ?? 0) + 1);
        meta.put('bytes', (meta.get('bytes') ?? 0) + regBytes(root));
      }
      // The highest stored id bounds the counter even if 'nextId' were missing.
      let highest = root.id;
      for (const id of inodes.getKeys({ reverse: true, limit: 1 })) highest = Math.max(highest, id);
      const next = Math.max(meta.get('nextId') ?? 0, highest + 1);
      meta.put('nextId', next);
      return next;
    });
    await this.durable(this.dbs);
    this.ids.next = Math.max(this.ids.next, nextId);
    this.xattrOwners.clear();
    // Keys only, and few files carry xattrs; this process owns the store (owner lock), so the set stays exact.
    for (const [id] of this.dbs.xattrs.getKeys()) this.xattrOwners.add(id);
    this.logger.debug({ path: this.opts.path, nextId }, 'metadata store opened');
  }

  async view<T>(fn: (tx: MetadataReadTx) => Promise<T>): Promise<T> {
    const dbs = this.opened();
    // Pin one LMDB read snapshot for the whole callback, across its awaits.
    const snapshot = dbs.env.useReadTransaction();
    try {
      return await fn(new CommittedReader(dbs, snapshot));
    } finally {
      snapshot.done();
    }
  }

  async update<T>(fn: (tx: MetadataWriteTx) => Promise<T>): Promise<T> {
    const dbs = this.opened();
    const previous = this.writeTail;
    let release!: () => void;
    this.writeTail = new Promise<void>((r) => (release = r));
    let tx: LmdbWriteTx;
    let result: T;
    let commit: Promise<unknown>;
    try {
      await previous;
      tx = new LmdbWriteTx(dbs, this.ids, this.queued.slice(), this.xattrOwners);
      try {
        result = await fn(tx);
      } finally {
        tx.close();
      }
      // Queue the commit before the next update may start, so commits apply in update order.
      // A child transaction: lmdb-js batches queued callbacks into one LMDB
      // transaction, and only a child one undoes the writes of a callback that throws.
      const applying = tx;
      commit = dbs.env.childTransaction(() => applying.apply());
      this.queued.push(tx);
      this.lastCommit = commit;
    } finally {
      release();
    }
    try {
      await commit;
    } catch (err) {
      tx.applied = false;
      tx.restoreXattrOwners();
      this.logger.error({ err }, 'metadata commit failed');
      throw err;
    } finally {
      // Visible in LMDB now (or never): later updates read it from there.
      this.queued.splice(this.queued.indexOf(tx), 1);
    }
    if (this.opts.noSync !== true) await dbs.env.flushed;
    return result;
  }

  async close(): Promise<void> {
    const dbs = this.dbs;
    if (dbs === undefined) return;
    // Let queued updates finish before the environment goes away.
    await this.writeTail;
    await this.lastCommit.catch(() => undefined);
    this.dbs = undefined;
    await dbs.env.close();
    await this.releaseOwner?.();
    this.releaseOwner = undefined;
    this.logger.debug({ path: this.opts.path }, 'metadata store closed');
  }

  private opened(): LmdbDbs {
    if (this.dbs === undefined) throw new Error('metadata store is not open');
    return this.dbs;
  }

  /** Resolves once every commit so far is on disk (lmdb-js overlappingSync flushes after commit). */
  private async durable(dbs: LmdbDbs): Promise<void> {
    if (this.opts.noSync !== true) await dbs.env.flushed;
  }
}
