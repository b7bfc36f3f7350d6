import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, pendingMigrations, type Migration } from './migrations.js';
import {
  adapterOf,
  shareOf,
  storeOf,
  userOf,
  userPatchColumns,
  type ShareRow,
  type StoreRow,
  type UserPatch,
  type UserRow,
} from './rows.js';
import {
  StoreConflictError,
  type AdapterRecord,
  type ControlPlaneStore,
  type GroupRecord,
  type PermissionRecord,
  type ShareRecord,
  type StoreKind,
  type StoreRecord,
  type UserRecord,
} from './types.js';

function isUniqueViolation(e: unknown): boolean {
  return (
    (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/**
 * The default control-plane database: one SQLite file (WAL) under dataDir.
 * Opened once at start (synchronously: before any request is served);
 * each call is a short indexed statement on a small database.
 */
export class SqliteControlPlaneStore implements ControlPlaneStore {
  private readonly db: Database.Database;

  constructor(path: string, migrations: readonly Migration[] = MIGRATIONS) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Password hashes and the JWT signing secret live here: owner-only.
    if (path !== ':memory:')
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate(migrations);
  }

  /** Versions applied, in order (for tests and `status`). */
  schemaVersions(): number[] {
    return (
      this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]
    ).map((r) => r.version);
  }

  private migrate(migrations: readonly Migration[]): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const applied = new Set(this.schemaVersions());
    for (const m of pendingMigrations(applied, migrations)) {
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, new Date().toISOString());
      })();
    }
  }

  async getSetting(key: string): Promise<string | undefined> {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  async listUsers(): Promise<UserRecord[]> {
    return (this.db.prepare('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(userOf);
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return r && userOf(r);
  }

  async createUser(u: Omit<UserRecord, 'createdAt' | 'tokenVersion'>): Promise<UserRecord> {
    try {
      this.db
        .prepare(
          'INSERT INTO users (name, password_hash, nt_hash, role, uid, gid, enabled, must_change_password, token_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)',
        )
        .run(
          u.name,
          u.passwordHash,
          u.ntHash ?? null,
          u.role,
          u.uid,
          u.gid,
          u.enabled ? 1 : 0,
          u.mustChangePassword ? 1 : 0,
          new Date().toISOString(),
        );
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreConflictError(`user ${u.name} exists`);
      throw e;
    }
    return (await this.getUser(u.name))!;
  }

  async updateUser(name: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const { columns, bumpTokens } = userPatchColumns(patch);
    const values = columns.map(([, v]) => v);
    const sets = columns.map(([c]) => `${c} = ?`);
    if (bumpTokens) sets.push('token_version = token_version + 1');
    if (sets.length > 0) this.db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE name = ?`).run(...values, name);
    return this.getUser(name);
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM share_permissions WHERE kind = 'user' AND principal = ?").run(name);
      return this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
    })();
  }

  private membersOf(group: string): string[] {
    return (
      this.db.prepare('SELECT user_name FROM memberships WHERE group_name = ? ORDER BY user_name').all(group) as {
        user_name: string;
      }[]
    ).map((r) => r.user_name);
  }

  async listGroups(): Promise<GroupRecord[]> {
    const rows = this.db.prepare('SELECT name, gid FROM groups ORDER BY name').all() as { name: string; gid: number }[];
    return rows.map((r) => ({ ...r, members: this.membersOf(r.name) }));
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const r = this.db.prepare('SELECT name, gid FROM groups WHERE name = ?').get(name) as
      { name: string; gid: number } | undefined;
    return r && { ...r, members: this.membersOf(r.name) };
  }

  async createGroup(g: { name: string; gid: number }): Promise<GroupRecord> {
    try {
      this.db.prepare('INSERT INTO groups (name, gid) VALUES (?, ?)').run(g.name, g.gid);
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreConflictError(`group ${g.name} exists`);
      throw e;
    }
    return { ...g, members: [] };
  }

  async deleteGroup(name: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM share_permissions WHERE kind = 'group' AND principal = ?").run(name);
      return this.db.prepare('DELETE FROM groups WHERE name = ?').run(name).changes > 0;
    })();
  }

  async addMember(group: string, user: string): Promise<boolean> {
    if (!(await this.getGroup(group)) || !(await this.getUser(user))) return false;
    this.db.prepare('INSERT OR IGNORE INTO memberships (group_name, user_name) VALUES (?, ?)').run(group, user);
    return true;
  }

  async removeMember(group: string, user: string): Promise<boolean> {
    return (
      this.db.prepare('DELETE FROM memberships WHERE group_name = ? AND user_name = ?').run(group, user).changes > 0
    );
  }

  async listPermissions(share?: string): Promise<PermissionRecord[]> {
    const rows = (
      share === undefined
        ? this.db.prepare('SELECT * FROM share_permissions ORDER BY share, kind, principal').all()
        : this.db.prepare('SELECT * FROM share_permissions WHERE share = ? ORDER BY kind, principal').all(share)
    ) as PermissionRecord[];
    return rows.map((r) => ({ share: r.share, kind: r.kind, principal: r.principal, level: r.level }));
  }

  async setPermission(p: PermissionRecord): Promise<boolean> {
    const exists = p.kind === 'user' ? await this.getUser(p.principal) : await this.getGroup(p.principal);
    if (!exists) return false;
    this.db
      .prepare(
        'INSERT INTO share_permissions (share, kind, principal, level) VALUES (?, ?, ?, ?) ON CONFLICT (share, kind, principal) DO UPDATE SET level = excluded.level',
      )
      .run(p.share, p.kind, p.principal, p.level);
    return true;
  }

  async deletePermission(share: string, kind: 'user' | 'group', principal: string): Promise<boolean> {
    return (
      this.db
        .prepare('DELETE FROM share_permissions WHERE share = ? AND kind = ? AND principal = ?')
        .run(share, kind, principal).changes > 0
    );
  }

  async deleteSharePermissions(share: string): Promise<void> {
    this.db.prepare('DELETE FROM share_permissions WHERE share = ?').run(share);
  }

  async listStores(kind: StoreKind): Promise<StoreRecord[]> {
    return (
      this.db
        .prepare('SELECT kind, name, type, path, settings FROM stores WHERE kind = ? ORDER BY name')
        .all(kind) as StoreRow[]
    ).map(storeOf);
  }

  async getStore(kind: StoreKind, name: string): Promise<StoreRecord | undefined> {
    const r = this.db
      .prepare('SELECT kind, name, type, path, settings FROM stores WHERE kind = ? AND name = ?')
      .get(kind, name) as StoreRow | undefined;
    return r && storeOf(r);
  }

  async createStore(s: StoreRecord): Promise<StoreRecord> {
    try {
      this.db
        .prepare('INSERT INTO stores (kind, name, type, path, settings) VALUES (?, ?, ?, ?, ?)')
        .run(s.kind, s.name, s.type, s.path ?? null, s.settings === undefined ? null : JSON.stringify(s.settings));
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreConflictError(`${s.kind} store ${s.name} exists`);
      throw e;
    }
    return s;
  }

  async deleteStore(kind: StoreKind, name: string): Promise<boolean> {
    return this.db.transaction(() => {
      const column = kind === 'metadata' ? 'metadata_store' : 'block_store';
      const users = this.db.prepare(`SELECT name FROM shares WHERE ${column} = ? ORDER BY name`).all(name) as {
        name: string;
      }[];
      if (users.length > 0)
        throw new StoreConflictError(
          `${kind} store ${name} is used by share(s) ${users.map((u) => u.name).join(', ')}`,
        );
      return this.db.prepare('DELETE FROM stores WHERE kind = ? AND name = ?').run(kind, name).changes > 0;
    })();
  }

  async listShares(): Promise<ShareRecord[]> {
    return (this.db.prepare('SELECT * FROM shares ORDER BY name').all() as ShareRow[]).map(shareOf);
  }

  async getShare(name: string): Promise<ShareRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM shares WHERE name = ?').get(name) as ShareRow | undefined;
    return r && shareOf(r);
  }

  async createShare(s: Omit<ShareRecord, 'createdAt'>): Promise<ShareRecord> {
    const createdAt = new Date().toISOString();
    try {
      this.db
        .prepare('INSERT INTO shares (name, metadata_store, block_store, options, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(s.name, s.metadataStore, s.blockStore, JSON.stringify(s.options), createdAt);
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreConflictError(`share ${s.name} exists`);
      throw e;
    }
    return { ...s, createdAt };
  }

  async updateShareOptions(name: string, options: ShareRecord['options']): Promise<ShareRecord | undefined> {
    this.db.prepare('UPDATE shares SET options = ? WHERE name = ?').run(JSON.stringify(options), name);
    return this.getShare(name);
  }

  async deleteShare(name: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM share_permissions WHERE share = ?').run(name);
      return this.db.prepare('DELETE FROM shares WHERE name = ?').run(name).changes > 0;
    })();
  }

  async listAdapters(): Promise<AdapterRecord[]> {
    return (
      this.db.prepare('SELECT name, enabled, port FROM adapters ORDER BY name').all() as {
        name: string;
        enabled: number;
        port: number | null;
      }[]
    ).map(adapterOf);
  }

  async getAdapter(name: string): Promise<AdapterRecord | undefined> {
    const r = this.db.prepare('SELECT name, enabled, port FROM adapters WHERE name = ?').get(name) as
      { name: string; enabled: number; port: number | null } | undefined;
    return r && adapterOf(r);
  }

  async putAdapter(a: AdapterRecord): Promise<AdapterRecord> {
    this.db
      .prepare(
        'INSERT INTO adapters (name, enabled, port) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, port = excluded.port',
      )
      .run(a.name, a.enabled ? 1 : 0, a.port);
    return a;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
