import type pg from 'pg';
import type { Logger } from '../../../observability/logger.js';

/**
 * Inode ids are handed out in blocks: one `nextval` reserves this many, so a
 * create costs no round trip for its id. The sequence's INCREMENT is this
 * value (migration 1), so it is part of the schema and must never change.
 */
export const ID_BLOCK = 256;

interface Migration {
  version: number;
  name: string;
  /** SQL for schema `s` (already quoted as an identifier). */
  sql(s: string): string;
}

/**
 * The schema, one migration per version, applied in order and never edited
 * once released (a change is a new migration). Every table is keyed by
 * `share` first so several shares live in one database.
 *
 * Names and keys use COLLATE "C": byte order, so index lookups do no
 * locale-aware comparison and behave the same on every server.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'inodes, directory entries, xattrs, state, id sequence',
    sql: (s) => `
      CREATE TABLE ${s}.inodes (
        share        text COLLATE "C" NOT NULL,
        id           bigint   NOT NULL,
        generation   bigint   NOT NULL,
        type         text     NOT NULL,
        mode         integer  NOT NULL,
        nlink        bigint   NOT NULL,
        uid          bigint   NOT NULL,
        gid          bigint   NOT NULL,
        size         bigint   NOT NULL,
        rdev_major   bigint   NOT NULL,
        rdev_minor   bigint   NOT NULL,
        atime_sec    bigint   NOT NULL,
        atime_nsec   integer  NOT NULL,
        mtime_sec    bigint   NOT NULL,
        mtime_nsec   integer  NOT NULL,
        ctime_sec    bigint   NOT NULL,
        ctime_nsec   integer  NOT NULL,
        btime_sec    bigint   NOT NULL,
        btime_nsec   integer  NOT NULL,
        change       bigint   NOT NULL,
        symlink      text,
        content_id   text,
        create_verf  text,
        next_cookie  bigint,
        parent       bigint,
        PRIMARY KEY (share, id)
      );
      -- Lookup by (dir, name) is the primary key; paging by cookie is the
      -- unique (dir, cookie) index: readdir reads one index range, never the whole directory.
      CREATE TABLE ${s}.dirents (
        share   text COLLATE "C" NOT NULL,
        dir     bigint NOT NULL,
        name    text COLLATE "C" NOT NULL,
        child   bigint NOT NULL,
        cookie  bigint NOT NULL,
        PRIMARY KEY (share, dir, name),
        CONSTRAINT dirents_cookie_key UNIQUE (share, dir, cookie)
      );
      CREATE TABLE ${s}.xattrs (
        share  text COLLATE "C" NOT NULL,
        id     bigint NOT NULL,
        name   text COLLATE "C" NOT NULL,
        value  bytea  NOT NULL,
        PRIMARY KEY (share, id, name)
      );
      CREATE TABLE ${s}.state (
        share  text COLLATE "C" NOT NULL,
        key    text COLLATE "C" NOT NULL,
        value  bytea NOT NULL,
        PRIMARY KEY (share, key)
      );
      -- One sequence for all shares of this schema: ids are then unique per
      -- share too. Non-transactional, so an id is never handed out twice even
      -- when the transaction that took it rolls back.
      CREATE SEQUENCE ${s}.inode_ids AS bigint INCREMENT BY ${ID_BLOCK} START WITH ${ID_BLOCK};
      -- Raised from a batch of deferred writes when a removal found nothing
      -- (the contract's NOENT), so the batch aborts like a failed statement.
      CREATE FUNCTION ${s}.expect_rows(got bigint, want bigint) RETURNS void
        LANGUAGE plpgsql AS $fn$
        BEGIN
          IF got <> want THEN
            RAISE EXCEPTION 'expected % rows, found %', want, got USING ERRCODE = 'no_data_found';
          END IF;
        END
        $fn$;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Bring schema `schema` up to {@link SCHEMA_VERSION}. Each migration runs in
 * its own transaction under a transaction-scoped advisory lock keyed by the
 * schema name, so servers starting at once apply each migration exactly
 * once: the second waits, then sees the version recorded and skips it.
 * Idempotent; refuses a schema newer than this code knows.
 */
export async function migrate(client: pg.ClientBase, schema: string, quoted: string, logger: Logger): Promise<void> {
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7175))', [`dittofs.migrate:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${quoted}.schema_migrations`);
      const current = r.rows[0].v ?? 0;
      if (current > SCHEMA_VERSION) {
        throw new Error(
          `metadata schema ${schema} is at version ${current}, newer than this server's ${SCHEMA_VERSION}`,
        );
      }
      const next = MIGRATIONS.find((m) => m.version > current);
      if (next === undefined) {
        await client.query('COMMIT');
        return;
      }
      await client.query(next.sql(quoted));
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [
        next.version,
        next.name,
      ]);
      await client.query('COMMIT');
      logger.info({ schema, version: next.version, migration: next.name }, 'metadata schema migrated');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
