/**
 * The control-plane database: users, groups, share permissions, stores,
 * API-made shares and adapter settings. Every method is async so that a
 * PostgreSQL implementation (several nodes) fits behind the same interface;
 * the SQLite one (default, single node) answers synchronously underneath.
 */

export type Role = 'admin' | 'user';
export type PermissionLevel = 'none' | 'read' | 'read-write' | 'admin';
export const PERMISSION_LEVELS: readonly PermissionLevel[] = ['none', 'read', 'read-write', 'admin'];

export interface UserRecord {
  name: string;
  /** argon2id PHC string; never leaves the server. */
  passwordHash: string;
  role: Role;
  /** NFS identity: AUTH_SYS uid/gid that map to this user. */
  uid: number;
  gid: number;
  enabled: boolean;
  mustChangePassword: boolean;
  /** Bumped on password change: refresh tokens carry it, so older ones stop working. */
  tokenVersion: number;
  /**
   * SMB (NTLM) authentication: the NT one-way function of the password
   * (MD4 of its UTF-16LE form, MS-NLMP §3.3.1), hex. Password-equivalent for
   * NTLM, so it is as secret as the password and never leaves the server.
   * Absent for users whose password was set before it was kept: they set
   * their password again to use SMB.
   */
  ntHash?: string;
  createdAt: string;
}

export interface GroupRecord {
  name: string;
  gid: number;
  members: string[];
}

export interface PermissionRecord {
  share: string;
  kind: 'user' | 'group';
  principal: string;
  level: PermissionLevel;
}

export type StoreKind = 'metadata' | 'block';

export interface StoreRecord {
  kind: StoreKind;
  name: string;
  /** metadata: memory | lmdb | postgres; block: memory | fs | tiered | s3. */
  type: string;
  /** Directory for on-disk types; each share gets a subdirectory named after it. */
  path?: string;
  /** Type-specific settings (postgres url/schema; chunk size, local budget, S3 bucket...). */
  settings?: StoreSettings;
}

/**
 * Settings of the store types that need more than a directory. Secrets
 * (S3 secretAccessKey, a password inside a postgres URL) are kept here and
 * never shown by the API.
 */
export interface StoreSettings {
  /** metadata postgres. */
  url?: string;
  schema?: string;
  /** block tiered / s3. */
  chunkSize?: number;
  localBudgetBytes?: number;
  s3?: {
    bucket: string;
    prefix?: string;
    endpoint?: string;
    region?: string;
    forcePathStyle?: boolean;
    accessKeyId?: string;
    secretAccessKey?: string;
  };
}

export interface ShareOptionsRecord {
  readOnly: boolean;
  rootSquash: boolean;
  allSquash: boolean;
  anonUid: number;
  anonGid: number;
  requirePrivilegedPort: boolean;
  allowedClients: string[];
  /** When stable writes and COMMIT are acknowledged; tiered/s3 block stores only. Default local-durable. */
  durability?: 'writeback' | 'local-durable' | 'remote';
}

export interface ShareRecord {
  name: string;
  metadataStore: string;
  blockStore: string;
  options: ShareOptionsRecord;
  createdAt: string;
}

export interface AdapterRecord {
  name: string;
  enabled: boolean;
  /** null: the port from the configuration file / environment / command line. */
  port: number | null;
}

/** What a change touched (the payload of a cluster notification; never a value, so never a secret). */
export type ChangeTopic = 'settings' | 'users' | 'groups' | 'permissions' | 'stores' | 'shares' | 'adapters';

export interface StoreChange {
  /** `resync`: notifications may have been missed (the watch reconnected); reload everything. */
  topic: ChangeTopic | 'resync';
  /** The share, user, group, store, adapter or setting key, when one thing changed. */
  name?: string;
  /** Made through this store object (this node) rather than another node. */
  local: boolean;
}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

export interface ControlPlaneStore {
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;

  listUsers(): Promise<UserRecord[]>;
  getUser(name: string): Promise<UserRecord | undefined>;
  /** Throws StoreConflictError when the name exists. */
  createUser(u: Omit<UserRecord, 'createdAt' | 'tokenVersion'>): Promise<UserRecord>;
  updateUser(
    name: string,
    patch: Partial<
      Pick<UserRecord, 'passwordHash' | 'ntHash' | 'role' | 'uid' | 'gid' | 'enabled' | 'mustChangePassword'>
    >,
  ): Promise<UserRecord | undefined>;
  /** Also removes the user's memberships and permissions. */
  deleteUser(name: string): Promise<boolean>;

  listGroups(): Promise<GroupRecord[]>;
  getGroup(name: string): Promise<GroupRecord | undefined>;
  createGroup(g: { name: string; gid: number }): Promise<GroupRecord>;
  deleteGroup(name: string): Promise<boolean>;
  /** False when the user or group does not exist. */
  addMember(group: string, user: string): Promise<boolean>;
  removeMember(group: string, user: string): Promise<boolean>;

  listPermissions(share?: string): Promise<PermissionRecord[]>;
  /** Insert or replace; false when the principal does not exist. */
  setPermission(p: PermissionRecord): Promise<boolean>;
  deletePermission(share: string, kind: 'user' | 'group', principal: string): Promise<boolean>;
  deleteSharePermissions(share: string): Promise<void>;

  listStores(kind: StoreKind): Promise<StoreRecord[]>;
  getStore(kind: StoreKind, name: string): Promise<StoreRecord | undefined>;
  createStore(s: StoreRecord): Promise<StoreRecord>;
  /** Throws StoreConflictError when a share uses it. */
  deleteStore(kind: StoreKind, name: string): Promise<boolean>;

  listShares(): Promise<ShareRecord[]>;
  getShare(name: string): Promise<ShareRecord | undefined>;
  createShare(s: Omit<ShareRecord, 'createdAt'>): Promise<ShareRecord>;
  updateShareOptions(name: string, options: ShareOptionsRecord): Promise<ShareRecord | undefined>;
  deleteShare(name: string): Promise<boolean>;

  listAdapters(): Promise<AdapterRecord[]>;
  getAdapter(name: string): Promise<AdapterRecord | undefined>;
  putAdapter(a: AdapterRecord): Promise<AdapterRecord>;

  /**
   * Databases shared by several nodes: call `onChange` after every change
   * committed by any node (docs/control-plane.md "Several nodes"). Resolves
   * once listening; the returned function stops watching. Absent for
   * single-node databases (SQLite).
   */
  watch?(onChange: (change: StoreChange) => void): Promise<() => Promise<void>>;

  close(): Promise<void>;
}
