/**
 * Versioned schema of the control-plane database. A migration is applied
 * once, in order, inside a transaction, and recorded in schema_migrations;
 * released migrations are never edited, only new ones appended.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
        uid INTEGER NOT NULL,
        gid INTEGER NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        must_change_password INTEGER NOT NULL DEFAULT 0,
        token_version INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE INDEX users_uid ON users (uid);
      CREATE TABLE groups (name TEXT PRIMARY KEY, gid INTEGER NOT NULL);
      CREATE TABLE memberships (
        group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
        user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        PRIMARY KEY (group_name, user_name)
      );
      CREATE TABLE stores (
        kind TEXT NOT NULL CHECK (kind IN ('metadata', 'block')),
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        path TEXT,
        PRIMARY KEY (kind, name)
      );
      CREATE TABLE shares (
        name TEXT PRIMARY KEY,
        metadata_store TEXT NOT NULL,
        block_store TEXT NOT NULL,
        options TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      -- Shares defined in the configuration file have permissions too, so
      -- share is a name, not a foreign key.
      CREATE TABLE share_permissions (
        share TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('user', 'group')),
        principal TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('none', 'read', 'read-write', 'admin')),
        PRIMARY KEY (share, kind, principal)
      );
      CREATE TABLE adapters (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL, port INTEGER);
    `,
  },
  {
    version: 2,
    name: 'NT hash for SMB, store settings',
    // Portable SQL: the same text runs on SQLite and PostgreSQL.
    sql: `
      ALTER TABLE users ADD COLUMN nt_hash TEXT;
      ALTER TABLE stores ADD COLUMN settings TEXT;
    `,
  },
];

/**
 * The migrations still to apply, in order, given the versions a database
 * has applied. Refuses a database newer than this server (a downgrade would
 * run against a schema it does not know).
 */
export function pendingMigrations(applied: ReadonlySet<number>, migrations: readonly Migration[]): Migration[] {
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new Error(
      `control-plane database schema version ${newest} is newer than this server knows (${known}); upgrade dfs`,
    );
  }
  return [...migrations].filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
}
