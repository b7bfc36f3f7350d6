import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { silentLogger, type Logger } from '../../observability/logger.js';
import { MIGRATIONS, pendingMigrations, type Migration } from './migrations.js';
import {
  adapterOf,
  groupOf,
  shareOf,
  storeOf,
  userOf,
  userPatchColumns,
  type GroupRow,
  type ShareRow,
  type StoreRow,
  type UserPatch,
  type UserRow,
} from './rows.js';
import {
  StoreConflictError,
  type AdapterRecord,
  type ChangeTopic,
  type ControlPlaneStore,
  type GroupRecord,
  type PermissionRecord,
  type ShareOptionsRecord,
  type ShareRecord,
  type StoreChange,
  type StoreKind,
  type StoreRecord,
  type UserRecord,
} from './types.js';

export interface PostgresControlPlaneStoreOptions {
  /** postgres:// URL; it may carry a password, so it is never logged nor put in an error. */
  url: string;
  /** Schema holding the tables (created when missing). Default dittofs_cp. */
  schema?: string;
  /**
   * This node's name: adapter settings are per node (docs/control-plane.md
   * "Several nodes"), so their rows are keyed by it. Default `default`.
   */
  nodeId?: string;
  /** Connections in the pool (default 4). */
  poolSize?: number;
  logger?: Logger;
  /** Tests: the migrations to apply (default MIGRATIONS). */
  migrations?: readonly Migration[];
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** PostgreSQL channel names are identifiers: at most 63 bytes (NAMEDATALEN - 1). */
const MAX_CHANNEL = 63;
/** NOTIFY payloads must stay under 8000 bytes (PostgreSQL docs, NOTIFY). */
const MAX_NAME_IN_PAYLOAD = 1024;
const MAX_TX_ATTEMPTS = 20;
const RECONNECT_MAX_MS = 30_000;

/** int8 columns (uid/gid, widened in PG_AFTER) as numbers: uids are below 2^32. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? Number
      : pg.types.getTypeParser(oid, (format ?? 'text') as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * What PostgreSQL needs after a portable migration. Version 1 was written
 * for SQLite, whose INTEGER is 64 bits: PostgreSQL's is 32, too small for
 * uids and gids up to 2^32 - 1 (RFC 5531 AUTH_SYS carries unsigned 32-bit ids).
 */
const PG_AFTER: Record<number, string> = {
  1: `
    ALTER TABLE users ALTER COLUMN uid TYPE bigint, ALTER COLUMN gid TYPE bigint;
    ALTER TABLE groups ALTER COLUMN gid TYPE bigint;
  `,
};

/** SQLSTATE of a node-postgres DatabaseError. */
function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 ? code : undefined;
}

/** The channel of a schema: one per control-plane database (schema), short enough to be an identifier. */
export function channelOf(schema: string): string {
  const plain = `dittofs_cp:${schema}`;
  if (Buffer.byteLength(plain) <= MAX_CHANNEL) return plain;
  return `dittofs_cp:${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/** host:port/database of a URL, without user or password, for logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

interface Payload {
  /** Origin: the store object that made the change. */
  o: string;
  t: ChangeTopic;
  n?: string;
}

/**
 * The control-plane database on PostgreSQL, for several nodes sharing one
 * (docs/control-plane.md "Several nodes"). Same tables and versioned
 * migrations as the SQLite store, in their own schema.
 *
 * Every change runs in a SERIALIZABLE transaction, retried on a
 * serialization failure or deadlock (PostgreSQL docs §13.2.3), and sends a
 * NOTIFY on the schema's channel inside that transaction, so other nodes
 * hear of exactly the changes that committed (NOTIFY is delivered at commit,
 * §NOTIFY). The payload names what changed, never a value.
 */
export class PostgresControlPlaneStore implements ControlPlaneStore {
  readonly schema: string;
  readonly channel: string;
  readonly nodeId: string;
  private readonly pool: pg.Pool;
  private readonly s: string;
  private readonly url: string;
  private readonly logger: Logger;
  /** Tells this object's changes from other nodes' in notifications. */
  private readonly origin = randomBytes(8).toString('hex');
  private readonly watchers = new Set<() => Promise<void>>();
  private closed = false;

  private constructor(opts: PostgresControlPlaneStoreOptions) {
    this.schema = opts.schema ?? 'dittofs_cp';
    // Spliced into SQL text: only a plain identifier is accepted.
    if (!SCHEMA_NAME.test(this.schema))
      throw new Error(`invalid control-plane schema name ${JSON.stringify(this.schema)}`);
    this.s = pg.escapeIdentifier(this.schema);
    this.channel = channelOf(this.schema);
    this.nodeId = opts.nodeId ?? 'default';
    this.url = opts.url;
    this.logger = (opts.logger ?? silentLogger).child({
      component: 'controlplane-db',
      database: describeUrl(opts.url),
      schema: this.schema,
    });
    this.pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 4, types });
    // An idle connection that breaks (database restart) must not crash the process; the pool drops it.
    this.pool.on('error', (err) =>
      this.logger.warn({ err: safeError(err) }, 'idle control-plane database connection failed'),
    );
  }

  /** Connect, create the schema if missing and apply the migrations this server knows. */
  static async open(opts: PostgresControlPlaneStoreOptions): Promise<PostgresControlPlaneStore> {
    const store = new PostgresControlPlaneStore(opts);
    try {
      await store.migrate(opts.migrations ?? MIGRATIONS);
    } catch (e) {
      await store.pool.end().catch(() => undefined);
      throw safeError(e);
    }
    store.logger.info('control-plane database opened');
    return store;
  }

  /**
   * All pending migrations in one transaction under a transaction-scoped
   * advisory lock keyed by the schema: nodes starting together apply each
   * migration once (the second waits, then finds it recorded).
   */
  private async migrate(migrations: readonly Migration[]): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7175))', [`dittofs.cp.migrate:${this.schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      // The migrations' SQL names tables without a schema.
      await c.query(`SET LOCAL search_path TO ${this.s}`);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      const rows = (await c.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations'))
        .rows;
      const applied = new Set(rows.map((r) => r.version));
      // The metadata store keeps a schema_migrations table too: a schema given to both would look migrated.
      for (const r of rows) {
        const ours = migrations.find((m) => m.version === r.version);
        if (ours && ours.name !== r.name) {
          throw new Error(
            `schema ${this.schema} holds the tables of another database (migration ${r.version} is "${r.name}"); give the control plane a schema of its own`,
          );
        }
      }
      for (const m of pendingMigrations(applied, migrations)) {
        await c.query(m.sql);
        if (PG_AFTER[m.version] !== undefined) await c.query(PG_AFTER[m.version]);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          new Date().toISOString(),
        ]);
        this.logger.info({ version: m.version, migration: m.name }, 'control-plane schema migrated');
      }
      await c.query('COMMIT');
      c.release();
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release();
      throw e;
    }
  }

  /** Versions applied, in order (for tests and `status`). */
  async schemaVersions(): Promise<number[]> {
    return (await this.q<{ version: number }>(`SELECT version FROM ${this.s}.schema_migrations ORDER BY version`)).map(
      (r) => r.version,
    );
  }

  /**
   * Run `fn` while holding a cluster-wide lock named `name` (a session-level
   * advisory lock): the first-start bootstrap runs on one node at a time, so
   * two nodes starting on an empty database do not both create `admin`.
   */
  async withClusterLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    const key = `dittofs.cp.lock:${this.schema}:${name}`;
    try {
      await c.query('SELECT pg_advisory_lock(hashtextextended($1, 7175))', [key]);
      try {
        return await fn();
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 7175))', [key]);
      }
    } finally {
      c.release();
    }
  }

  private async q<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  /**
   * A SERIALIZABLE transaction, run again when it loses a conflict. `fn`
   * returns its result and the change to announce (none: nothing changed).
   */
  private async tx<T>(
    fn: (c: pg.PoolClient) => Promise<{ result: T; change?: { topic: ChangeTopic; name?: string } }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        const { result, change } = await fn(c);
        if (change) await this.notify(c, change.topic, change.name);
        await c.query('COMMIT');
        c.release();
        return result;
      } catch (e) {
        try {
          await c.query('ROLLBACK');
          c.release();
        } catch (rb) {
          c.release(rb instanceof Error ? rb : true);
        }
        const state = sqlState(e);
        if ((state === '40001' || state === '40P01') && attempt < MAX_TX_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 ** attempt)));
          continue;
        }
        if (state === '23505') throw new StoreConflictError('exists');
        throw e;
      }
    }
  }

  private async notify(c: pg.PoolClient, topic: ChangeTopic, name?: string): Promise<void> {
    const payload: Payload = { o: this.origin, t: topic };
    if (name !== undefined && name.length <= MAX_NAME_IN_PAYLOAD) payload.n = name;
    await c.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(payload)]);
  }

  /** A unique violation as the contract's conflict, with a message saying what exists. */
  private async conflictAs<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof StoreConflictError) throw new StoreConflictError(`${what} exists`);
      throw e;
    }
  }

  // ---- settings -------------------------------------------------------

  async getSetting(key: string): Promise<string | undefined> {
    const [r] = await this.q<{ value: string }>(`SELECT value FROM ${this.s}.settings WHERE key = $1`, [key]);
    return r?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query(
        `INSERT INTO ${this.s}.settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [key, value],
      );
      return { result: undefined, change: { topic: 'settings', name: key } };
    });
  }

  // ---- users ----------------------------------------------------------

  async listUsers(): Promise<UserRecord[]> {
    return (await this.q<UserRow>(`SELECT * FROM ${this.s}.users ORDER BY name COLLATE "C"`)).map(userOf);
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const [r] = await this.q<UserRow>(`SELECT * FROM ${this.s}.users WHERE name = $1`, [name]);
    return r && userOf(r);
  }

  async createUser(u: Omit<UserRecord, 'createdAt' | 'tokenVersion'>): Promise<UserRecord> {
    const row = await this.conflictAs(`user ${u.name}`, () =>
      this.tx(async (c) => {
        const r = await c.query<UserRow>(
          `INSERT INTO ${this.s}.users (name, password_hash, nt_hash, role, uid, gid, enabled, must_change_password, token_version, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) RETURNING *`,
          [
            u.name,
            u.passwordHash,
            u.ntHash ?? null,
            u.role,
            u.uid,
            u.gid,
            u.enabled ? 1 : 0,
            u.mustChangePassword ? 1 : 0,
            new Date().toISOString(),
          ],
        );
        return { result: r.rows[0], change: { topic: 'users', name: u.name } };
      }),
    );
    return userOf(row);
  }

  async updateUser(name: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const { columns, bumpTokens } = userPatchColumns(patch);
    const values: (string | number)[] = columns.map(([, v]) => v);
    const sets = columns.map(([c], i) => `${c} = $${i + 1}`);
    if (bumpTokens) sets.push('token_version = token_version + 1');
    if (sets.length === 0) return this.getUser(name);
    values.push(name);
    const row = await this.tx(async (c) => {
      const r = await c.query<UserRow>(
        `UPDATE ${this.s}.users SET ${sets.join(', ')} WHERE name = $${values.length} RETURNING *`,
        values,
      );
      return { result: r.rows[0], change: r.rows.length > 0 ? { topic: 'users' as const, name } : undefined };
    });
    return row && userOf(row);
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query(`DELETE FROM ${this.s}.share_permissions WHERE kind = 'user' AND principal = $1`, [name]);
      // Memberships go with the user (ON DELETE CASCADE).
      const gone = ((await c.query(`DELETE FROM ${this.s}.users WHERE name = $1`, [name])).rowCount ?? 0) > 0;
      return { result: gone, change: gone ? { topic: 'users' as const, name } : undefined };
    });
  }

  // ---- groups ---------------------------------------------------------

  private groupsQuery(where: string): string {
    return `SELECT g.name, g.gid,
              COALESCE(array_agg(m.user_name ORDER BY m.user_name COLLATE "C") FILTER (WHERE m.user_name IS NOT NULL), '{}') AS members
            FROM ${this.s}.groups g LEFT JOIN ${this.s}.memberships m ON m.group_name = g.name
            ${where}
            GROUP BY g.name, g.gid ORDER BY g.name COLLATE "C"`;
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (await this.q<GroupRow>(this.groupsQuery(''))).map(groupOf);
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const [r] = await this.q<GroupRow>(this.groupsQuery('WHERE g.name = $1'), [name]);
    return r && groupOf(r);
  }

  async createGroup(g: { name: string; gid: number }): Promise<GroupRecord> {
    await this.conflictAs(`group ${g.name}`, () =>
      this.tx(async (c) => {
        await c.query(`INSERT INTO ${this.s}.groups (name, gid) VALUES ($1, $2)`, [g.name, g.gid]);
        return { result: undefined, change: { topic: 'groups', name: g.name } };
      }),
    );
    return { ...g, members: [] };
  }

  async deleteGroup(name: string): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query(`DELETE FROM ${this.s}.share_permissions WHERE kind = 'group' AND principal = $1`, [name]);
      const gone = ((await c.query(`DELETE FROM ${this.s}.groups WHERE name = $1`, [name])).rowCount ?? 0) > 0;
      return { result: gone, change: gone ? { topic: 'groups' as const, name } : undefined };
    });
  }

  async addMember(group: string, user: string): Promise<boolean> {
    return this.tx(async (c) => {
      const found = await c.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM ${this.s}.groups WHERE name = $1)::int + (SELECT count(*) FROM ${this.s}.users WHERE name = $2)::int AS n`,
        [group, user],
      );
      if (found.rows[0].n !== 2) return { result: false };
      const added = await c.query(
        `INSERT INTO ${this.s}.memberships (group_name, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [group, user],
      );
      return {
        result: true,
        change: (added.rowCount ?? 0) > 0 ? { topic: 'groups' as const, name: group } : undefined,
      };
    });
  }

  async removeMember(group: string, user: string): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await c.query(`DELETE FROM ${this.s}.memberships WHERE group_name = $1 AND user_name = $2`, [
        group,
        user,
      ]);
      const gone = (r.rowCount ?? 0) > 0;
      return { result: gone, change: gone ? { topic: 'groups' as const, name: group } : undefined };
    });
  }

  // ---- permissions ----------------------------------------------------

  async listPermissions(share?: string): Promise<PermissionRecord[]> {
    const rows =
      share === undefined
        ? await this.q<PermissionRecord>(
            `SELECT share, kind, principal, level FROM ${this.s}.share_permissions ORDER BY share COLLATE "C", kind, principal COLLATE "C"`,
          )
        : await this.q<PermissionRecord>(
            `SELECT share, kind, principal, level FROM ${this.s}.share_permissions WHERE share = $1 ORDER BY kind, principal COLLATE "C"`,
            [share],
          );
    return rows.map((r) => ({ share: r.share, kind: r.kind, principal: r.principal, level: r.level }));
  }

  async setPermission(p: PermissionRecord): Promise<boolean> {
    const table = p.kind === 'user' ? 'users' : 'groups';
    return this.tx(async (c) => {
      const exists = await c.query(`SELECT 1 FROM ${this.s}.${table} WHERE name = $1`, [p.principal]);
      if (exists.rows.length === 0) return { result: false };
      await c.query(
        `INSERT INTO ${this.s}.share_permissions (share, kind, principal, level) VALUES ($1, $2, $3, $4)
         ON CONFLICT (share, kind, principal) DO UPDATE SET level = excluded.level`,
        [p.share, p.kind, p.principal, p.level],
      );
      return { result: true, change: { topic: 'permissions', name: p.share } };
    });
  }

  async deletePermission(share: string, kind: 'user' | 'group', principal: string): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await c.query(
        `DELETE FROM ${this.s}.share_permissions WHERE share = $1 AND kind = $2 AND principal = $3`,
        [share, kind, principal],
      );
      const gone = (r.rowCount ?? 0) > 0;
      return { result: gone, change: gone ? { topic: 'permissions' as const, name: share } : undefined };
    });
  }

  async deleteSharePermissions(share: string): Promise<void> {
    await this.tx(async (c) => {
      const r = await c.query(`DELETE FROM ${this.s}.share_permissions WHERE share = $1`, [share]);
      return {
        result: undefined,
        change: (r.rowCount ?? 0) > 0 ? { topic: 'permissions' as const, name: share } : undefined,
      };
    });
  }

  // ---- stores ---------------------------------------------------------

  async listStores(kind: StoreKind): Promise<StoreRecord[]> {
    return (
      await this.q<StoreRow>(
        `SELECT kind, name, type, path, settings FROM ${this.s}.stores WHERE kind = $1 ORDER BY name COLLATE "C"`,
        [kind],
      )
    ).map(storeOf);
  }

  async getStore(kind: StoreKind, name: string): Promise<StoreRecord | undefined> {
    const [r] = await this.q<StoreRow>(
      `SELECT kind, name, type, path, settings FROM ${this.s}.stores WHERE kind = $1 AND name = $2`,
      [kind, name],
    );
    return r && storeOf(r);
  }

  async createStore(s: StoreRecord): Promise<StoreRecord> {
    await this.conflictAs(`${s.kind} store ${s.name}`, () =>
      this.tx(async (c) => {
        await c.query(`INSERT INTO ${this.s}.stores (kind, name, type, path, settings) VALUES ($1, $2, $3, $4, $5)`, [
          s.kind,
          s.name,
          s.type,
          s.path ?? null,
          s.settings === undefined ? null : JSON.stringify(s.settings),
        ]);
        return { result: undefined, change: { topic: 'stores', name: s.name } };
      }),
    );
    return s;
  }

  async deleteStore(kind: StoreKind, name: string): Promise<boolean> {
    const column = kind === 'metadata' ? 'metadata_store' : 'block_store';
    return this.tx(async (c) => {
      const users = await c.query<{ name: string }>(
        `SELECT name FROM ${this.s}.shares WHERE ${column} = $1 ORDER BY name COLLATE "C"`,
        [name],
      );
      if (users.rows.length > 0) {
        throw new StoreConflictError(
          `${kind} store ${name} is used by share(s) ${users.rows.map((u) => u.name).join(', ')}`,
        );
      }
      const r = await c.query(`DELETE FROM ${this.s}.stores WHERE kind = $1 AND name = $2`, [kind, name]);
      const gone = (r.rowCount ?? 0) > 0;
      return { result: gone, change: gone ? { topic: 'stores' as const, name } : undefined };
    });
  }

  // ---- shares ---------------------------------------------------------

  async listShares(): Promise<ShareRecord[]> {
    return (await this.q<ShareRow>(`SELECT * FROM ${this.s}.shares ORDER BY name COLLATE "C"`)).map(shareOf);
  }

  async getShare(name: string): Promise<ShareRecord | undefined> {
    const [r] = await this.q<ShareRow>(`SELECT * FROM ${this.s}.shares WHERE name = $1`, [name]);
    return r && shareOf(r);
  }

  async createShare(s: Omit<ShareRecord, 'createdAt'>): Promise<ShareRecord> {
    const createdAt = new Date().toISOString();
    await this.conflictAs(`share ${s.name}`, () =>
      this.tx(async (c) => {
        await c.query(
          `INSERT INTO ${this.s}.shares (name, metadata_store, block_store, options, created_at) VALUES ($1, $2, $3, $4, $5)`,
          [s.name, s.metadataStore, s.blockStore, JSON.stringify(s.options), createdAt],
        );
        return { result: undefined, change: { topic: 'shares', name: s.name } };
      }),
    );
    return { ...s, createdAt };
  }

  async updateShareOptions(name: string, options: ShareOptionsRecord): Promise<ShareRecord | undefined> {
    const row = await this.tx(async (c) => {
      const r = await c.query<ShareRow>(`UPDATE ${this.s}.shares SET options = $1 WHERE name = $2 RETURNING *`, [
        JSON.stringify(options),
        name,
      ]);
      return { result: r.rows[0], change: r.rows.length > 0 ? { topic: 'shares' as const, name } : undefined };
    });
    return row && shareOf(row);
  }

  async deleteShare(name: string): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query(`DELETE FROM ${this.s}.share_permissions WHERE share = $1`, [name]);
      const gone = ((await c.query(`DELETE FROM ${this.s}.shares WHERE name = $1`, [name])).rowCount ?? 0) > 0;
      return { result: gone, change: gone ? { topic: 'shares' as const, name } : undefined };
    });
  }

  // ---- adapters (per node) ---------------------------------------------

  /** Adapter rows are `<nodeId>/<adapter>`: each node keeps its own listeners' settings. */
  private adapterKey(name: string): string {
    return `${this.nodeId}/${name}`;
  }

  async listAdapters(): Promise<AdapterRecord[]> {
    const prefix = `${this.nodeId}/`;
    const rows = await this.q<{ name: string; enabled: number; port: number | null }>(
      `SELECT name, enabled, port FROM ${this.s}.adapters WHERE starts_with(name, $1) ORDER BY name COLLATE "C"`,
      [prefix],
    );
    return rows.map((r) => adapterOf({ ...r, name: r.name.slice(prefix.length) }));
  }

  async getAdapter(name: string): Promise<AdapterRecord | undefined> {
    const [r] = await this.q<{ enabled: number; port: number | null }>(
      `SELECT enabled, port FROM ${this.s}.adapters WHERE name = $1`,
      [this.adapterKey(name)],
    );
    return r && adapterOf({ name, ...r });
  }

  async putAdapter(a: AdapterRecord): Promise<AdapterRecord> {
    await this.tx(async (c) => {
      await c.query(
        `INSERT INTO ${this.s}.adapters (name, enabled, port) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, port = excluded.port`,
        [this.adapterKey(a.name), a.enabled ? 1 : 0, a.port],
      );
      return { result: undefined, change: { topic: 'adapters', name: this.adapterKey(a.name) } };
    });
    return a;
  }

  // ---- watching -------------------------------------------------------

  /**
   * LISTEN on the schema's channel over a connection of its own (a pooled
   * connection would lose the subscription when returned). When that
   * connection drops, it reconnects with backoff (1 s doubling to 30 s) and
   * reports `resync`: notifications sent meanwhile are lost.
   */
  async watch(onChange: (change: StoreChange) => void): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('control-plane database is closed');
    let stopped = false;
    let client: pg.Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let delay = 1000;

    const deliver = (msg: pg.Notification) => {
      if (msg.channel !== this.channel || msg.payload === undefined) return;
      let p: Partial<Payload>;
      try {
        p = JSON.parse(msg.payload) as Partial<Payload>;
      } catch {
        this.logger.warn('unreadable control-plane notification ignored');
        return;
      }
      const change: StoreChange = {
        topic: typeof p.t === 'string' ? p.t : 'resync',
        local: p.o === this.origin,
      };
      if (typeof p.n === 'string') change.name = p.n;
      onChange(change);
    };

    const connect = async (): Promise<void> => {
      // keepAlive: a silently dead connection (network partition) is noticed and replaced.
      const c = new pg.Client({ connectionString: this.url, types, keepAlive: true });
      let ended = false;
      c.on('error', (err) => this.logger.warn({ err: safeError(err) }, 'control-plane watch connection failed'));
      c.on('notification', deliver);
      c.on('end', () => {
        if (ended) return;
        ended = true;
        if (!stopped && client === c) {
          client = undefined;
          reconnect();
        }
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      } catch (e) {
        ended = true;
        await c.end().catch(() => undefined);
        throw safeError(e);
      }
      client = c;
    };

    const reconnect = () => {
      if (stopped) return;
      this.logger.warn({ retryInMs: delay }, 'control-plane watch disconnected; reconnecting');
      timer = setTimeout(() => {
        timer = undefined;
        connect().then(
          () => {
            delay = 1000;
            this.logger.info('control-plane watch reconnected');
            if (stopped) void client?.end().catch(() => undefined);
            else onChange({ topic: 'resync', local: false });
          },
          () => {
            delay = Math.min(RECONNECT_MAX_MS, delay * 2);
            reconnect();
          },
        );
      }, delay);
      timer.unref();
    };

    await connect();
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      this.watchers.delete(stop);
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    };
    this.watchers.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of [...this.watchers]) await stop();
    await this.pool.end();
  }
}

/**
 * An error safe to log or show: node-postgres errors never contain the
 * connection string, but an error from parsing one may quote it. Any
 * message mentioning a postgres URL is reduced to its host part.
 */
function safeError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const redacted = e.message.replace(/postgres(ql)?:\/\/[^\s'"]*/g, (u) => `postgres://${describeUrl(u)}`);
  if (redacted === e.message) return e;
  const out = new Error(redacted);
  (out as { code?: unknown }).code = (e as { code?: unknown }).code;
  return out;
}
