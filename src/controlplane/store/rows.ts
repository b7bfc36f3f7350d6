import type {
  AdapterRecord,
  GroupRecord,
  Role,
  ShareRecord,
  StoreKind,
  StoreRecord,
  StoreSettings,
  UserRecord,
} from './types.js';

// Rows of the control-plane tables as both drivers return them (flags are
// INTEGER 0/1, as in SQLite; JSON columns are TEXT), and their records.

export interface UserRow {
  name: string;
  password_hash: string;
  role: string;
  uid: number;
  gid: number;
  enabled: number;
  must_change_password: number;
  token_version: number;
  created_at: string;
  nt_hash: string | null;
}

export function userOf(r: UserRow): UserRecord {
  return {
    name: r.name,
    passwordHash: r.password_hash,
    role: r.role as Role,
    uid: r.uid,
    gid: r.gid,
    enabled: r.enabled === 1,
    mustChangePassword: r.must_change_password === 1,
    tokenVersion: r.token_version,
    createdAt: r.created_at,
    ...(r.nt_hash === null ? {} : { ntHash: r.nt_hash }),
  };
}

export interface GroupRow {
  name: string;
  gid: number;
  members: string[];
}

export function groupOf(r: GroupRow): GroupRecord {
  return { name: r.name, gid: r.gid, members: r.members };
}

export interface StoreRow {
  kind: StoreKind;
  name: string;
  type: string;
  path: string | null;
  settings: string | null;
}

export function storeOf(r: StoreRow): StoreRecord {
  const out: StoreRecord = { kind: r.kind, name: r.name, type: r.type };
  if (r.path !== null) out.path = r.path;
  if (r.settings !== null) out.settings = JSON.parse(r.settings) as StoreSettings;
  return out;
}

export interface ShareRow {
  name: string;
  metadata_store: string;
  block_store: string;
  options: string;
  created_at: string;
}

export function shareOf(r: ShareRow): ShareRecord {
  return {
    name: r.name,
    metadataStore: r.metadata_store,
    blockStore: r.block_store,
    options: JSON.parse(r.options) as ShareRecord['options'],
    createdAt: r.created_at,
  };
}

export function adapterOf(r: { name: string; enabled: number; port: number | null }): AdapterRecord {
  return { name: r.name, enabled: r.enabled === 1, port: r.port };
}

/** The fields of a user update, as the stores accept them. */
export type UserPatch = Partial<
  Pick<UserRecord, 'passwordHash' | 'ntHash' | 'role' | 'uid' | 'gid' | 'enabled' | 'mustChangePassword'>
>;

/**
 * The SET items of a user update: `[column, value]` pairs (the caller
 * numbers its placeholders) and whether the token version is bumped (a new
 * password makes older refresh tokens stop working).
 */
export function userPatchColumns(patch: UserPatch): { columns: [string, string | number][]; bumpTokens: boolean } {
  const columns: [string, string | number][] = [];
  if (patch.passwordHash !== undefined) columns.push(['password_hash', patch.passwordHash]);
  if (patch.ntHash !== undefined) columns.push(['nt_hash', patch.ntHash]);
  if (patch.role !== undefined) columns.push(['role', patch.role]);
  if (patch.uid !== undefined) columns.push(['uid', patch.uid]);
  if (patch.gid !== undefined) columns.push(['gid', patch.gid]);
  if (patch.enabled !== undefined) columns.push(['enabled', patch.enabled ? 1 : 0]);
  if (patch.mustChangePassword !== undefined) {
    columns.push(['must_change_password', patch.mustChangePassword ? 1 : 0]);
  }
  return { columns, bumpTokens: patch.passwordHash !== undefined };
}
