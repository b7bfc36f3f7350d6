import { randomBytes } from 'node:crypto';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { AccountLookup, SmbAccount } from '../auth/api.js';
import { ntHash } from '../auth/ntlm/nt-hash.js';
import { DEFAULT_SHARE_OPTIONS } from '../core/share.js';
import type { Logger } from '../observability/logger.js';
import { LoginRateLimiter } from './auth/rate-limit.js';
import { MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from './auth/passwords.js';
import { TokenService } from './auth/tokens.js';
import { exportOptionsOf, type ServerConfig, type ShareConfig } from './config.js';
import { ControlPlaneError, conflict, invalid, notFound } from './errors.js';
import { PermissionIndex } from './permissions.js';
import {
  STORE_TYPES,
  StoreSettingsError,
  checkDurability,
  checkStoreSettings,
  onDisk,
  redactStore,
  shareBlocksOf,
  shareMetadataOf,
} from './store-settings.js';
import type { Runtime } from './runtime.js';
import {
  PERMISSION_LEVELS,
  StoreConflictError,
  type AdapterRecord,
  type ControlPlaneStore,
  type GroupRecord,
  type PermissionLevel,
  type PermissionRecord,
  type Role,
  type ShareOptionsRecord,
  type ShareRecord,
  type StoreKind,
  type StoreRecord,
  type StoreSettings,
  type UserRecord,
} from './store/types.js';

/** What the API shows of a user (never the hash). */
export interface UserView {
  name: string;
  role: Role;
  uid: number;
  gid: number;
  enabled: boolean;
  mustChangePassword: boolean;
  groups: string[];
  createdAt: string;
}

export interface ShareView {
  name: string;
  /** `config`: defined in the configuration file, read-only here; `api`: created through the API. */
  source: 'config' | 'api';
  metadataStore: string;
  blockStore: string;
  options: ShareOptionsRecord;
  exported: boolean;
}

export interface AdapterView {
  name: string;
  enabled: boolean;
  /** Configured port (API setting, else the configuration's). */
  port: number;
  /** The port actually bound (differs from `port` when it is 0), 0 when not listening. */
  boundPort: number;
  listening: boolean;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  mustChangePassword: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const ADAPTERS = ['nfs'] as const;
const SETTING_JWT_SECRET = 'jwt.secret';

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) {
    throw invalid(
      `${what} name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-' (at most 64, not starting with a digit)`,
    );
  }
}

function checkPassword(pw: string): void {
  if (pw.length < MIN_PASSWORD_LENGTH) throw invalid(`password: must be at least ${MIN_PASSWORD_LENGTH} characters`);
}

/** "/export" from "export" or "/export" (URL parameters carry names without the leading slash). */
export function shareName(raw: string): string {
  const name = raw.startsWith('/') ? raw : `/${raw}`;
  if (name.length > 1 && name.endsWith('/')) return name.replace(/\/+$/, '');
  return name;
}

function checkShareName(name: string): void {
  if (
    name.length > 255 ||
    name.includes('\0') ||
    name.split('/').some((p) => p === '.' || p === '..') ||
    name === '/'
  ) {
    throw invalid(`share name ${JSON.stringify(name)}: must be an absolute path like /export`);
  }
}

function checkNetworks(list: readonly string[]): void {
  for (const entry of list) {
    const [addr, prefix, ...rest] = entry.split('/');
    const max = isIPv4(addr) ? 32 : isIPv6(addr) ? 128 : -1;
    const ok =
      max > 0 && rest.length === 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max));
    if (!ok) throw invalid(`allowedClients: ${JSON.stringify(entry)} is not an IP address or CIDR block`);
  }
}

/** The stored form of a password's NT hash (MS-NLMP §3.3.1), kept beside the argon2id hash for SMB. */
function ntHashHex(password: string): string {
  return ntHash(password).toString('hex');
}

/** A settings error as the API reports it (400, naming the field). */
function settingsChecked<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof StoreSettingsError) throw invalid(e.message);
    throw e;
  }
}

/**
 * The control plane's operations: every change is written to the database
 * and applied to the live Runtime at once. The REST API is a thin layer
 * over this class.
 *
 * File-defined shares and API-defined shares: shares in the configuration
 * file are exported at every start and are read-only here (source
 * `config`); shares created through the API live in the database (source
 * `api`) and are exported at start after the file's. A database share whose
 * name a file share has taken is skipped with a warning.
 */
export class ControlPlane {
  readonly permissions = new PermissionIndex();
  readonly limiter = new LoginRateLimiter();
  readonly startedAt = new Date();
  tokens!: TokenService;

  constructor(
    readonly store: ControlPlaneStore,
    readonly runtime: Runtime,
    readonly config: ServerConfig,
    readonly logger: Logger,
  ) {}

  /**
   * First-start bootstrap (JWT secret, admin user) and the permission index.
   * `adminPassword`: DITTOFS_ADMIN_INITIAL_PASSWORD. Without it a random
   * password is generated and handed to `announce` (shown on a terminal) or,
   * when there is no terminal, written to dataDir/initial-admin-password (0600).
   */
  async init(
    opts: { adminPassword?: string; interactive?: boolean; announce?: (text: string) => void } = {},
  ): Promise<void> {
    let secret = await this.store.getSetting(SETTING_JWT_SECRET);
    if (!secret) {
      secret = TokenService.newSecret().toString('base64');
      await this.store.setSetting(SETTING_JWT_SECRET, secret);
    }
    this.tokens = new TokenService(
      Buffer.from(secret, 'base64'),
      this.config.api.accessTokenSeconds,
      this.config.api.refreshTokenSeconds,
    );

    if ((await this.store.listUsers()).length === 0) {
      const given = opts.adminPassword !== undefined && opts.adminPassword.length > 0;
      const password = given ? opts.adminPassword! : randomBytes(15).toString('base64url');
      await this.store.createUser({
        name: 'admin',
        passwordHash: await hashPassword(password),
        ntHash: ntHashHex(password),
        role: 'admin',
        uid: 0,
        gid: 0,
        enabled: true,
        mustChangePassword: true,
      });
      if (given) {
        this.logger.info(
          'created user admin with the password from DITTOFS_ADMIN_INITIAL_PASSWORD (must be changed at first login)',
        );
      } else if (opts.interactive && opts.announce) {
        opts.announce(
          `Created the control-plane user "admin" with the password:\n\n    ${password}\n\n` +
            'It is shown only this once and must be changed at first login (dfsctl login, then dfsctl passwd).',
        );
      } else {
        const file = this.initialPasswordFile();
        await writeFile(file, `${password}\n`, { mode: 0o600 });
        await chmod(file, 0o600);
        this.logger.warn(
          { file },
          'created user admin; its initial password is in this file (mode 0600), removed when it is changed',
        );
      }
    }
    await this.reloadPermissions();
  }

  private initialPasswordFile(): string {
    return join(this.config.dataDir, 'initial-admin-password');
  }

  async reloadPermissions(): Promise<void> {
    const [users, groups, perms] = await Promise.all([
      this.store.listUsers(),
      this.store.listGroups(),
      this.store.listPermissions(),
    ]);
    this.permissions.rebuild(users, groups, perms);
  }

  // ---- adapters -------------------------------------------------------

  /** The NFS adapter's stored settings (enabled, port override). */
  async nfsAdapter(): Promise<AdapterRecord> {
    return (await this.store.getAdapter('nfs')) ?? { name: 'nfs', enabled: true, port: null };
  }

  private adapterView(a: AdapterRecord): AdapterView {
    return {
      name: a.name,
      enabled: a.enabled,
      port: a.port ?? this.config.port,
      boundPort: this.runtime.port,
      listening: this.runtime.nfsListening,
    };
  }

  async listAdapters(): Promise<AdapterView[]> {
    return [this.adapterView(await this.nfsAdapter())];
  }

  async getAdapter(name: string): Promise<AdapterView> {
    if (!(ADAPTERS as readonly string[]).includes(name)) throw notFound(`adapter ${name}`);
    return this.adapterView(await this.nfsAdapter());
  }

  /** Enable/disable or move the NFS listener, live; the setting persists. */
  async updateAdapter(name: string, patch: { enabled?: boolean; port?: number }): Promise<AdapterView> {
    if (!(ADAPTERS as readonly string[]).includes(name)) throw notFound(`adapter ${name}`);
    const cur = await this.nfsAdapter();
    const next: AdapterRecord = {
      name,
      enabled: patch.enabled ?? cur.enabled,
      port: patch.port ?? cur.port,
    };
    const port = next.port ?? this.config.port;
    if (next.enabled) {
      if (!this.runtime.nfsListening || (patch.port !== undefined && patch.port !== this.runtime.port)) {
        try {
          await this.runtime.startNfs(port);
        } catch (e) {
          throw new ControlPlaneError(
            409,
            'ADAPTER_START_FAILED',
            `cannot listen on port ${port}: ${(e as Error).message}`,
          );
        }
      }
    } else {
      await this.runtime.stopNfs();
    }
    await this.store.putAdapter(next);
    this.logger.info({ adapter: name, enabled: next.enabled, port }, 'adapter updated');
    return this.adapterView(next);
  }

  // ---- authentication -------------------------------------------------

  async login(username: string, password: string, client: string): Promise<Tokens> {
    // Keyed by client address only: a per-user key would let anyone lock the admin out.
    const wait = this.limiter.retryAfter(client);
    if (wait > 0) throw new ControlPlaneError(429, 'RATE_LIMITED', `too many failed logins; retry in ${wait} s`);
    const user = await this.store.getUser(username);
    const ok = await verifyPassword(user?.passwordHash, password);
    if (!ok || !user || !user.enabled) {
      this.limiter.fail(client);
      this.logger.info({ user: username, client }, 'login failed');
      throw new ControlPlaneError(401, 'INVALID_CREDENTIALS', 'wrong user name or password');
    }
    this.logger.info({ user: username, client }, 'login');
    return this.issue(user);
  }

  async refresh(refreshToken: string): Promise<Tokens> {
    const claims = await this.tokens.verifyRefresh(refreshToken);
    const user = claims && (await this.store.getUser(claims.sub));
    if (!claims || !user || !user.enabled || user.tokenVersion !== claims.tv) {
      throw new ControlPlaneError(401, 'INVALID_TOKEN', 'refresh token is invalid or expired; log in again');
    }
    return this.issue(user);
  }

  private async issue(user: UserRecord): Promise<Tokens> {
    return {
      accessToken: await this.tokens.issueAccess({ sub: user.name, role: user.role, pwc: user.mustChangePassword }),
      refreshToken: await this.tokens.issueRefresh({ sub: user.name, tv: user.tokenVersion }),
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessSeconds,
      mustChangePassword: user.mustChangePassword,
    };
  }

  /** Self-service change; returns fresh tokens (older refresh tokens stop working). */
  async changeOwnPassword(name: string, current: string, next: string): Promise<Tokens> {
    const user = await this.store.getUser(name);
    if (!user) throw notFound(`user ${name}`);
    if (!(await verifyPassword(user.passwordHash, current))) {
      throw new ControlPlaneError(401, 'INVALID_CREDENTIALS', 'current password is wrong');
    }
    checkPassword(next);
    if (next === current) throw invalid('newPassword: must differ from the current password');
    const updated = await this.store.updateUser(name, {
      passwordHash: await hashPassword(next),
      ntHash: ntHashHex(next),
      mustChangePassword: false,
    });
    if (name === 'admin') await rm(this.initialPasswordFile(), { force: true });
    return this.issue(updated!);
  }

  // ---- users and groups ----------------------------------------------

  private async userView(u: UserRecord, groups?: GroupRecord[]): Promise<UserView> {
    const gs = groups ?? (await this.store.listGroups());
    return {
      name: u.name,
      role: u.role,
      uid: u.uid,
      gid: u.gid,
      enabled: u.enabled,
      mustChangePassword: u.mustChangePassword,
      groups: gs.filter((g) => g.members.includes(u.name)).map((g) => g.name),
      createdAt: u.createdAt,
    };
  }

  async listUsers(): Promise<UserView[]> {
    const groups = await this.store.listGroups();
    return Promise.all((await this.store.listUsers()).map((u) => this.userView(u, groups)));
  }

  async getUser(name: string): Promise<UserView> {
    const u = await this.store.getUser(name);
    if (!u) throw notFound(`user ${name}`);
    return this.userView(u);
  }

  async createUser(input: {
    name: string;
    password: string;
    role?: Role;
    uid: number;
    gid?: number;
  }): Promise<UserView> {
    checkName('user', input.name);
    checkPassword(input.password);
    try {
      const u = await this.store.createUser({
        name: input.name,
        passwordHash: await hashPassword(input.password),
        ntHash: ntHashHex(input.password),
        role: input.role ?? 'user',
        uid: input.uid,
        gid: input.gid ?? input.uid,
        enabled: true,
        // Set by an administrator: the user picks their own at first login.
        mustChangePassword: true,
      });
      await this.reloadPermissions();
      return this.userView(u);
    } catch (e) {
      if (e instanceof StoreConflictError) throw conflict(e.message);
      throw e;
    }
  }

  async updateUser(
    name: string,
    patch: { password?: string; role?: Role; uid?: number; gid?: number; enabled?: boolean },
  ): Promise<UserView> {
    if (!(await this.store.getUser(name))) throw notFound(`user ${name}`);
    if (name === 'admin' && (patch.role === 'user' || patch.enabled === false)) {
      throw new ControlPlaneError(409, 'CONFLICT', 'the admin user cannot be demoted or disabled');
    }
    if (patch.password !== undefined) checkPassword(patch.password);
    const u = await this.store.updateUser(name, {
      role: patch.role,
      uid: patch.uid,
      gid: patch.gid,
      enabled: patch.enabled,
      ...(patch.password !== undefined
        ? {
            passwordHash: await hashPassword(patch.password),
            ntHash: ntHashHex(patch.password),
            mustChangePassword: true,
          }
        : {}),
    });
    await this.reloadPermissions();
    return this.userView(u!);
  }

  async deleteUser(name: string, actor: string): Promise<void> {
    if (name === 'admin' || name === actor)
      throw conflict(`user ${name} cannot be deleted (the admin user, or yourself)`);
    if (!(await this.store.deleteUser(name))) throw notFound(`user ${name}`);
    await this.reloadPermissions();
  }

  /**
   * SMB's view of a user (src/auth/api.ts): the name the client sent,
   * matched case-insensitively as Windows does (an exact match wins when
   * names differ only in case; otherwise an ambiguous name finds nobody);
   * the domain is not checked. Undefined for unknown users and for users
   * whose password was set before NT hashes were kept (they must set it again).
   */
  readonly smbAccountLookup: AccountLookup = async (user: string): Promise<SmbAccount | undefined> => {
    let u = await this.store.getUser(user);
    if (!u) {
      const lower = user.toLowerCase();
      const matches = (await this.store.listUsers()).filter((x) => x.name.toLowerCase() === lower);
      if (matches.length !== 1) return undefined;
      u = matches[0];
    }
    if (u.ntHash === undefined || !/^[0-9a-f]{32}$/i.test(u.ntHash)) return undefined;
    const name = u.name;
    const groups = (await this.store.listGroups()).filter((g) => g.members.includes(name));
    return {
      name,
      ntHash: Buffer.from(u.ntHash, 'hex'),
      uid: u.uid,
      gid: u.gid,
      gids: groups.map((g) => g.gid),
      enabled: u.enabled,
    };
  };

  async listGroups(): Promise<GroupRecord[]> {
    return this.store.listGroups();
  }

  async getGroup(name: string): Promise<GroupRecord> {
    const g = await this.store.getGroup(name);
    if (!g) throw notFound(`group ${name}`);
    return g;
  }

  async createGroup(input: { name: string; gid: number }): Promise<GroupRecord> {
    checkName('group', input.name);
    try {
      return await this.store.createGroup(input);
    } catch (e) {
      if (e instanceof StoreConflictError) throw conflict(e.message);
      throw e;
    }
  }

  async deleteGroup(name: string): Promise<void> {
    if (!(await this.store.deleteGroup(name))) throw notFound(`group ${name}`);
    await this.reloadPermissions();
  }

  async addMember(group: string, user: string): Promise<GroupRecord> {
    if (!(await this.store.addMember(group, user))) throw notFound(`group ${group} or user ${user}`);
    await this.reloadPermissions();
    return this.getGroup(group);
  }

  async removeMember(group: string, user: string): Promise<GroupRecord> {
    const g = await this.getGroup(group);
    if (!g.members.includes(user)) throw notFound(`member ${user} of group ${group}`);
    await this.store.removeMember(group, user);
    await this.reloadPermissions();
    return this.getGroup(group);
  }

  // ---- share permissions ---------------------------------------------

  private async requireShare(name: string): Promise<void> {
    if (!this.configShare(name) && !(await this.store.getShare(name))) throw notFound(`share ${name}`);
  }

  async listPermissions(share: string): Promise<PermissionRecord[]> {
    await this.requireShare(share);
    return this.store.listPermissions(share);
  }

  async setPermission(p: PermissionRecord): Promise<PermissionRecord> {
    await this.requireShare(p.share);
    if (!PERMISSION_LEVELS.includes(p.level)) throw invalid(`level: one of ${PERMISSION_LEVELS.join(', ')}`);
    if (!(await this.store.setPermission(p))) throw notFound(`${p.kind} ${p.principal}`);
    await this.reloadPermissions();
    this.logger.info({ share: p.share, kind: p.kind, principal: p.principal, level: p.level }, 'share permission set');
    return p;
  }

  async deletePermission(share: string, kind: 'user' | 'group', principal: string): Promise<void> {
    if (!(await this.store.deletePermission(share, kind, principal)))
      throw notFound(`permission of ${kind} ${principal} on ${share}`);
    await this.reloadPermissions();
  }

  // ---- stores ---------------------------------------------------------

  /** Stores as the API shows them: S3 secret keys and postgres passwords read "***". */
  async listStores(kind: StoreKind): Promise<StoreRecord[]> {
    return (await this.store.listStores(kind)).map(redactStore);
  }

  async getStore(kind: StoreKind, name: string): Promise<StoreRecord> {
    const s = await this.store.getStore(kind, name);
    if (!s) throw notFound(`${kind} store ${name}`);
    return redactStore(s);
  }

  /**
   * Create a named store (docs/control-plane.md "Stores"); its settings are
   * validated like a share's stores in the configuration file. Returns the
   * redacted view.
   */
  async createStore(input: {
    kind: StoreKind;
    name: string;
    type: string;
    path?: string;
    settings?: StoreSettings;
  }): Promise<StoreRecord> {
    checkName('store', input.name);
    if (!STORE_TYPES[input.kind].includes(input.type)) {
      throw invalid(`type: ${input.kind} stores are ${STORE_TYPES[input.kind].join(', ')}`);
    }
    const disk = onDisk(input.type);
    if (!disk && input.path !== undefined) throw invalid(`path: not used by type ${input.type}`);
    if (input.path !== undefined && !input.path.startsWith('/')) throw invalid('path: must be absolute');
    const settings = settingsChecked(() => checkStoreSettings(input.kind, input.type, input.settings));
    const rec: StoreRecord = { kind: input.kind, name: input.name, type: input.type };
    if (disk) rec.path = input.path ?? join(this.config.dataDir, `${input.kind}-stores`, input.name);
    if (settings) rec.settings = settings;
    try {
      const stored = await this.store.createStore(rec);
      this.logger.info({ kind: input.kind, store: input.name, type: input.type }, 'store created');
      return redactStore(stored);
    } catch (e) {
      if (e instanceof StoreConflictError) throw conflict(e.message);
      throw e;
    }
  }

  async deleteStore(kind: StoreKind, name: string): Promise<void> {
    try {
      if (!(await this.store.deleteStore(kind, name))) throw notFound(`${kind} store ${name}`);
    } catch (e) {
      if (e instanceof StoreConflictError)
        throw new ControlPlaneError(409, 'STORE_IN_USE', `${e.message}; delete those shares first`);
      throw e;
    }
  }

  // ---- shares ---------------------------------------------------------

  private configShare(name: string): ShareConfig | undefined {
    return this.config.shares.find((s) => s.name === name);
  }

  private configShareView(sc: ShareConfig): ShareView {
    const describe = (s: { type: string; path?: string }) => (s.path ? `${s.type}:${s.path}` : s.type);
    return {
      name: sc.name,
      source: 'config',
      metadataStore: describe(sc.metadata),
      blockStore: describe(sc.blocks),
      options: { ...exportOptionsOf(sc), ...(sc.durability === undefined ? {} : { durability: sc.durability }) },
      exported: this.runtime.shares.byName(sc.name) !== undefined,
    };
  }

  private apiShareView(r: ShareRecord): ShareView {
    return {
      name: r.name,
      source: 'api',
      metadataStore: r.metadataStore,
      blockStore: r.blockStore,
      options: r.options,
      exported: this.runtime.shares.byName(r.name) !== undefined,
    };
  }

  async listShares(): Promise<ShareView[]> {
    const out = this.config.shares.map((s) => this.configShareView(s));
    for (const r of await this.store.listShares()) if (!this.configShare(r.name)) out.push(this.apiShareView(r));
    return out;
  }

  async getShare(name: string): Promise<ShareView> {
    const sc = this.configShare(name);
    if (sc) return this.configShareView(sc);
    const r = await this.store.getShare(name);
    if (!r) throw notFound(`share ${name}`);
    return this.apiShareView(r);
  }

  /**
   * The runtime configuration of an API share (public: the multi-node sync
   * uses it): its stores' directories plus a subdirectory per share, a
   * postgres namespace keyed by the share's name, an S3 prefix per share
   * (store-settings.ts). Throws 404 for a missing store and 400 when the
   * stores and options do not fit together (as config.ts refuses them).
   * The result holds the stores' secrets: never log it.
   */
  async shareConfigOf(r: ShareRecord): Promise<ShareConfig> {
    const meta = await this.store.getStore('metadata', r.metadataStore);
    const blocks = await this.store.getStore('block', r.blockStore);
    if (!meta) throw notFound(`metadata store ${r.metadataStore}`);
    if (!blocks) throw notFound(`block store ${r.blockStore}`);
    // The chunk index outlives the process; memory metadata would reissue
    // content ids that still name chunks of the previous run (as config.ts).
    if ((blocks.type === 'tiered' || blocks.type === 's3') && meta.type === 'memory') {
      throw invalid(
        `blockStore: ${blocks.type} store ${blocks.name} needs persistent metadata (an lmdb or postgres metadata store)`,
      );
    }
    const { durability, ...options } = r.options;
    if (durability !== undefined) settingsChecked(() => checkDurability(durability, blocks.type));
    return {
      name: r.name,
      metadata: shareMetadataOf(meta, r.name),
      blocks: shareBlocksOf(blocks, r.name),
      ...options,
      ...(durability === undefined ? {} : { durability }),
      rootMode: 0o1777,
    };
  }

  async createShare(
    input: { name: string; metadataStore: string; blockStore: string } & Partial<ShareOptionsRecord>,
  ): Promise<ShareView> {
    const name = shareName(input.name);
    checkShareName(name);
    if (this.configShare(name) || (await this.store.getShare(name))) throw conflict(`share ${name} exists`);
    const d = DEFAULT_SHARE_OPTIONS;
    const options: ShareOptionsRecord = {
      readOnly: input.readOnly ?? d.readOnly,
      rootSquash: input.rootSquash ?? d.rootSquash,
      allSquash: input.allSquash ?? d.allSquash,
      anonUid: input.anonUid ?? d.anonUid,
      anonGid: input.anonGid ?? d.anonGid,
      requirePrivilegedPort: input.requirePrivilegedPort ?? d.requirePrivilegedPort,
      allowedClients: input.allowedClients ?? [],
      ...(input.durability === undefined ? {} : { durability: input.durability }),
    };
    checkNetworks(options.allowedClients);
    const rec: ShareRecord = {
      name,
      metadataStore: input.metadataStore,
      blockStore: input.blockStore,
      options,
      createdAt: '',
    };
    const sc = await this.shareConfigOf(rec);
    let stored: ShareRecord;
    try {
      stored = await this.store.createShare(rec);
    } catch (e) {
      if (e instanceof StoreConflictError) throw conflict(e.message);
      throw e;
    }
    try {
      await this.runtime.addShare(sc);
    } catch (e) {
      await this.store.deleteShare(name);
      throw new ControlPlaneError(
        500,
        'SHARE_EXPORT_FAILED',
        `share ${name} could not be exported: ${(e as Error).message}`,
      );
    }
    this.logger.info({ share: name }, 'share created and exported');
    return this.apiShareView(stored);
  }

  /** Change an API share's options; applied to the live export at once. */
  async updateShare(name: string, patch: Partial<ShareOptionsRecord>): Promise<ShareView> {
    if (this.configShare(name)) {
      throw new ControlPlaneError(
        409,
        'SHARE_MANAGED_BY_CONFIG',
        `share ${name} is defined in the configuration file; edit it there and restart`,
      );
    }
    const cur = await this.store.getShare(name);
    if (!cur) throw notFound(`share ${name}`);
    const options: ShareOptionsRecord = { ...cur.options };
    for (const [k, v] of Object.entries(patch))
      if (v !== undefined) (options as unknown as Record<string, unknown>)[k] = v;
    checkNetworks(options.allowedClients);
    if (patch.durability !== undefined && patch.durability !== (cur.options.durability ?? 'local-durable')) {
      const blocks = await this.store.getStore('block', cur.blockStore);
      settingsChecked(() => checkDurability(patch.durability, blocks?.type ?? 'memory'));
      // The mode is fixed when the block store opens; switching it live would
      // mean closing and reopening the share's stores under its clients
      // (in-flight requests STALE, NLM locks back to grace), so it is refused.
      if (this.runtime.shares.byName(name)) {
        throw new ControlPlaneError(
          409,
          'SHARE_REEXPORT_REQUIRED',
          `share ${name} is exported: its durability cannot change while clients use it. ` +
            'Delete the share and create it again on the same stores with the new durability ' +
            '(its data is kept; its permissions must be granted again)',
        );
      }
    }
    const updated = await this.store.updateShareOptions(name, options);
    this.runtime.updateShareOptions(name, options);
    this.logger.info({ share: name, options }, 'share options updated');
    return this.apiShareView(updated!);
  }

  async deleteShare(name: string): Promise<void> {
    if (this.configShare(name)) {
      throw new ControlPlaneError(
        409,
        'SHARE_MANAGED_BY_CONFIG',
        `share ${name} is defined in the configuration file; remove it there and restart`,
      );
    }
    if (!(await this.store.getShare(name))) throw notFound(`share ${name}`);
    await this.runtime.removeShare(name);
    await this.store.deleteShare(name);
    await this.reloadPermissions();
    this.logger.info({ share: name }, 'share removed');
  }

  /** At start: export the database's shares (after the file's). */
  async exportStoredShares(): Promise<void> {
    for (const r of await this.store.listShares()) {
      if (this.configShare(r.name)) {
        this.logger.warn(
          { share: r.name },
          'share defined both in the configuration file and the database; the file wins',
        );
        continue;
      }
      try {
        await this.runtime.addShare(await this.shareConfigOf(r));
      } catch (e) {
        this.logger.error({ share: r.name, err: e }, 'cannot export share from the database');
      }
    }
  }

  levels(): readonly PermissionLevel[] {
    return PERMISSION_LEVELS;
  }
}
