import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_GRACE_SECONDS } from '../core/locks/api.js';
import { DEFAULT_SHARE_OPTIONS, type ShareOptions } from '../core/share.js';
import type { DurabilityMode } from '../storage/block/store.js';
import { StoreSettingsError, checkDurability, checkStoreSettings, shareDirName } from './store-settings.js';

/**
 * The server's configuration file (YAML). Every key is optional; `dfs start`
 * with no file serves one share, `/export`, on port 12049.
 */
export interface ServerConfig {
  /** Address to listen on. */
  host: string;
  /** One TCP (and UDP) port for NFS, MOUNT and portmap. */
  port: number;
  /**
   * Extra port on which the portmapper alone is answered (111 lets a kernel
   * client find services the standard way; needs root). 0 = none.
   */
  portmapPort: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where persistent data lives. */
  dataDir: string;
  /** Largest RPC record accepted (bytes). */
  maxRecordSize: number;
  /** Largest READ/WRITE transfer offered to NFS clients (bytes). */
  maxIo: number;
  /** Grace period after a start (seconds): only reclaims of earlier locks are granted (NLM, NSM). */
  lockGraceSeconds: number;
  shares: ShareConfig[];
  /** The REST control plane (docs/control-plane.md). */
  api: ApiConfig;
  /** Where users, groups, permissions, API-made shares, stores and adapter settings live. */
  database: DatabaseConfig;
  /** The SMB2/3 adapter (docs/smb.md); off unless enabled. */
  smb: SmbConfig;
}

export interface SmbConfig {
  enabled: boolean;
  /** TCP port (445 needs root; 0 = any free port, for tests). */
  port: number;
  /** NetBIOS-style server name shown to clients and used as the NTLM target name. */
  serverName: string;
  /** NTLM domain / workgroup name. */
  domain: string;
  /** Refuse sessions that do not sign (or encrypt) their messages (MS-SMB2 §3.3.5.5). */
  requireSigning: boolean;
}

export const DEFAULT_SMB_PORT = 12445;

export interface ApiConfig {
  enabled: boolean;
  /** Localhost by default: the API manages users and shares. */
  host: string;
  /** 0 = any free port (tests). */
  port: number;
  /** Lifetime of an access token (seconds). */
  accessTokenSeconds: number;
  /** Lifetime of a refresh token (seconds). */
  refreshTokenSeconds: number;
  /** HTTPS: PEM certificate chain and private key files. Absent: plain HTTP. */
  tls?: { cert: string; key: string };
}

/**
 * SQLite file (`:memory:` for tests), the single-node default; or PostgreSQL,
 * shared by several nodes (tables live in `schema`).
 */
export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string; schema: string };

export const DEFAULT_API_PORT = 12080;

export interface ShareConfig {
  /** The path clients mount, e.g. "/export". */
  name: string;
  metadata:
    | { type: 'memory' }
    | { type: 'lmdb'; path: string }
    /** Shared by every server given the same url, schema and shareKey (several nodes, one share). */
    | { type: 'postgres'; url: string; schema: string; shareKey: string; poolSize: number };
  blocks: { type: 'memory' } | { type: 'fs'; path: string } | TieredBlocksConfig;
  /** When COMMIT / stable writes are acknowledged (docs/block-storage.md); default local-durable. */
  durability?: DurabilityMode;
  readOnly: boolean;
  rootSquash: boolean;
  allSquash: boolean;
  anonUid: number;
  anonGid: number;
  requirePrivilegedPort: boolean;
  allowedClients: string[];
  /** Mode of the share's root directory when it is first created. */
  rootMode: number;
}

/**
 * Content-addressed chunk store (docs/block-storage.md): `tiered` keeps
 * chunks on local disk only; `s3` puts that local tier in front of a bucket.
 */
export interface TieredBlocksConfig {
  type: 'tiered' | 's3';
  /** Local tier and chunk index directory. */
  path: string;
  chunkSize: number;
  /** Local-tier bytes before uploaded chunks are evicted and writes get JUKEBOX (s3 only). */
  localBudgetBytes?: number;
  s3?: {
    bucket: string;
    prefix?: string;
    endpoint?: string;
    region?: string;
    forcePathStyle: boolean;
    /** Without these the AWS SDK's default chain applies (AWS_ACCESS_KEY_ID, profiles, roles). */
    accessKeyId?: string;
    secretAccessKey?: string;
  };
}

/**
 * A `tiered` / `s3` block store of the file: the same settings, with the
 * same rules, as a store created through the API (store-settings.ts);
 * only the key paths in errors differ (`shares[0].blocks.s3.bucket`).
 */
function tieredBlocks(obj: Raw, where: string, defaultPath: string, shareDir: string): TieredBlocksConfig {
  checkKeys(obj, ['type', 'path', 'chunkSize', 'localBudgetBytes', 's3'], where);
  const { type, path, ...raw } = obj;
  const st = asConfigError(where, () => checkStoreSettings('block', type as string, raw))!;
  const out: TieredBlocksConfig = {
    type: type as 'tiered' | 's3',
    path: path === undefined ? defaultPath : resolve(str(path, `${where}.path`)),
    chunkSize: st.chunkSize!,
  };
  if (st.localBudgetBytes !== undefined) out.localBudgetBytes = st.localBudgetBytes;
  if (st.s3) {
    // One prefix per share by default: shares in one bucket must never see
    // (and garbage-collect) each other's chunks.
    out.s3 = { ...st.s3, forcePathStyle: st.s3.forcePathStyle === true, prefix: st.s3.prefix ?? `${shareDir}/` };
  }
  return out;
}

/** Run a store-settings check, reporting its errors under the file's key path (`where`). */
function asConfigError<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof StoreSettingsError)) throw e;
    // `settings.s3.bucket` → `<where>.s3.bucket`; other fields (durability) → `<where>.<field>`.
    const key = e.field.startsWith('settings') ? `${where}${e.field.slice('settings'.length)}` : `${where}.${e.field}`;
    throw new ConfigError(key, e.message.slice(e.field.length + 2));
  }
}

/** The export options of a configured share (what protocols check per request). */
export function exportOptionsOf(sc: ShareConfig): ShareOptions {
  return {
    readOnly: sc.readOnly,
    rootSquash: sc.rootSquash,
    allSquash: sc.allSquash,
    anonUid: sc.anonUid,
    anonGid: sc.anonGid,
    requirePrivilegedPort: sc.requirePrivilegedPort,
    allowedClients: sc.allowedClients,
  };
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export function defaultDataDir(): string {
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.local', 'share'), 'dittofs');
}

export const DEFAULT_PORT = 12049;

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Raw, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      throw new ConfigError(where ? `${where}.${k}` : k, `unknown key (expected one of: ${allowed.join(', ')})`);
  }
}

function int(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(v: unknown, key: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(key, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(key, `must be a non-empty string`);
  return v;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const TOP_KEYS = [
  'host',
  'port',
  'portmapPort',
  'logLevel',
  'dataDir',
  'maxRecordSize',
  'maxIo',
  'lockGraceSeconds',
  'shares',
  'api',
  'database',
  'smb',
] as const;
const API_KEYS = ['enabled', 'host', 'port', 'accessTokenSeconds', 'refreshTokenSeconds', 'tlsCert', 'tlsKey'] as const;
const DATABASE_KEYS = ['type', 'path', 'url', 'schema'] as const;
const SMB_KEYS = ['enabled', 'port', 'serverName', 'domain', 'requireSigning'] as const;
/** Keys whose value is a mapping: their sub-keys get their own environment variables. */
const NESTED_KEYS: Readonly<Record<string, readonly string[]>> = {
  api: API_KEYS,
  database: DATABASE_KEYS,
  smb: SMB_KEYS,
};
const SHARE_KEYS = [
  'name',
  'metadata',
  'blocks',
  'readOnly',
  'rootSquash',
  'allSquash',
  'anonUid',
  'anonGid',
  'requirePrivilegedPort',
  'allowedClients',
  'rootMode',
  'durability',
] as const;

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;

function shareConfig(raw: unknown, i: number, dataDir: string): ShareConfig {
  const where = `shares[${i}]`;
  if (!isObject(raw)) throw new ConfigError(where, 'must be a mapping');
  checkKeys(raw, SHARE_KEYS, where);
  const name = str(raw.name, `${where}.name`);
  if (!name.startsWith('/') || name.includes('\0') || name.split('/').some((p) => p === '.' || p === '..')) {
    throw new ConfigError(`${where}.name`, `must be an absolute path like /export`);
  }
  const dirName = shareDirName(name);
  const metaRaw = raw.metadata ?? 'lmdb';
  const metaObj: Raw = isObject(metaRaw) ? metaRaw : { type: metaRaw };
  checkKeys(
    metaObj,
    metaObj.type === 'postgres' ? ['type', 'url', 'schema', 'shareKey', 'poolSize'] : ['type', 'path'],
    `${where}.metadata`,
  );
  let metadata: ShareConfig['metadata'];
  if (metaObj.type === 'memory') metadata = { type: 'memory' };
  else if (metaObj.type === 'postgres') {
    const url = str(metaObj.url, `${where}.metadata.url`);
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(`${where}.metadata.url`, 'must be a postgres:// URL');
    const schema = metaObj.schema === undefined ? 'dittofs' : str(metaObj.schema, `${where}.metadata.schema`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) {
      throw new ConfigError(`${where}.metadata.schema`, 'must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)');
    }
    metadata = {
      type: 'postgres',
      url,
      schema,
      shareKey: metaObj.shareKey === undefined ? name : str(metaObj.shareKey, `${where}.metadata.shareKey`),
      poolSize: metaObj.poolSize === undefined ? 10 : int(metaObj.poolSize, `${where}.metadata.poolSize`, 1, 200),
    };
  } else if (metaObj.type === 'lmdb') {
    const path =
      metaObj.path === undefined
        ? join(dataDir, 'metadata', dirName)
        : resolve(str(metaObj.path, `${where}.metadata.path`));
    metadata = { type: 'lmdb', path };
  } else {
    throw new ConfigError(
      `${where}.metadata.type`,
      `unsupported metadata store ${JSON.stringify(metaObj.type)} (available: lmdb, postgres, memory)`,
    );
  }
  const blocksRaw = raw.blocks ?? { type: 'fs' };
  const blocksObj: Raw = isObject(blocksRaw) ? blocksRaw : { type: blocksRaw };
  if (blocksObj.type !== 'tiered' && blocksObj.type !== 's3') checkKeys(blocksObj, ['type', 'path'], `${where}.blocks`);
  let blocks: ShareConfig['blocks'];
  if (blocksObj.type === 'memory') blocks = { type: 'memory' };
  else if (blocksObj.type === 'fs') {
    const path =
      blocksObj.path === undefined
        ? join(dataDir, 'blocks', dirName)
        : resolve(str(blocksObj.path, `${where}.blocks.path`));
    blocks = { type: 'fs', path };
  } else if (blocksObj.type === 'tiered' || blocksObj.type === 's3') {
    blocks = tieredBlocks(blocksObj, `${where}.blocks`, join(dataDir, 'blocks', dirName), dirName);
    // The chunk index outlives the process; memory metadata would reissue
    // content ids that still name chunks of the previous run.
    if (metadata.type === 'memory') {
      throw new ConfigError(`${where}.blocks.type`, `${String(blocksObj.type)} needs persistent metadata (lmdb)`);
    }
  } else {
    throw new ConfigError(
      `${where}.blocks.type`,
      `unsupported block store ${JSON.stringify(blocksObj.type)} (available: memory, fs, tiered, s3)`,
    );
  }
  let durability: DurabilityMode | undefined;
  if (raw.durability !== undefined) {
    durability = asConfigError(where, () => checkDurability(raw.durability, blocks.type));
  }
  const d = DEFAULT_SHARE_OPTIONS;
  const allowed = raw.allowedClients ?? [];
  if (!Array.isArray(allowed)) throw new ConfigError(`${where}.allowedClients`, 'must be a list of CIDR blocks');
  allowed.forEach((c, j) => {
    const m = typeof c === 'string' ? CIDR.exec(c) : null;
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || (m[6] !== undefined && Number(m[6]) > 32)) {
      throw new ConfigError(`${where}.allowedClients[${j}]`, `not an IPv4 address or CIDR block: ${JSON.stringify(c)}`);
    }
  });
  return {
    name: name.length > 1 ? name.replace(/\/+$/, '') : name,
    metadata,
    blocks,
    readOnly: raw.readOnly === undefined ? d.readOnly : bool(raw.readOnly, `${where}.readOnly`),
    rootSquash: raw.rootSquash === undefined ? d.rootSquash : bool(raw.rootSquash, `${where}.rootSquash`),
    allSquash: raw.allSquash === undefined ? d.allSquash : bool(raw.allSquash, `${where}.allSquash`),
    anonUid: raw.anonUid === undefined ? d.anonUid : int(raw.anonUid, `${where}.anonUid`, 0, 0xffffffff),
    anonGid: raw.anonGid === undefined ? d.anonGid : int(raw.anonGid, `${where}.anonGid`, 0, 0xffffffff),
    requirePrivilegedPort:
      raw.requirePrivilegedPort === undefined
        ? d.requirePrivilegedPort
        : bool(raw.requirePrivilegedPort, `${where}.requirePrivilegedPort`),
    allowedClients: allowed as string[],
    rootMode: raw.rootMode === undefined ? 0o1777 : int(raw.rootMode, `${where}.rootMode`, 0, 0o7777),
    ...(durability === undefined ? {} : { durability }),
  };
}

/** The environment variable of a key path: portmapPort → DITTOFS_PORTMAP_PORT, api.port → DITTOFS_API_PORT. */
export function envNameOf(path: readonly string[]): string {
  return 'DITTOFS_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every key that an environment variable can set, with its variable (for docs and `dfs config env`). */
export function envKeys(): { key: string; env: string }[] {
  const out: { key: string; env: string }[] = [];
  for (const k of TOP_KEYS) {
    const nested = NESTED_KEYS[k];
    if (nested) for (const sub of nested) out.push({ key: `${k}.${sub}`, env: envNameOf([k, sub]) });
    else out.push({ key: k, env: envNameOf([k]) });
  }
  return out;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Apply DITTOFS_* variables over the file's document. A value is read as a
 * YAML scalar or flow collection, so DITTOFS_PORT=2049 is a number,
 * DITTOFS_API_ENABLED=false a boolean and DITTOFS_SHARES='[{name: /a}]' a list.
 * Returns the document and which keys came from which variable.
 */
function applyEnv(doc: Raw, env: Env): { doc: Raw; fromEnv: Map<string, string> } {
  const out: Raw = { ...doc };
  const fromEnv = new Map<string, string>();
  for (const { key, env: name } of envKeys()) {
    const text = env[name];
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`${key} (from ${name})`, `not a valid value: ${(e as Error).message}`);
    }
    const [top, sub] = key.split('.');
    if (sub === undefined) out[top] = value;
    else out[top] = { ...(isObject(out[top]) ? out[top] : {}), [sub]: value };
    fromEnv.set(key, name);
  }
  return { doc: out, fromEnv };
}

function apiConfig(raw: unknown): ApiConfig {
  if (raw !== undefined && !isObject(raw)) throw new ConfigError('api', 'must be a mapping');
  const a: Raw = raw ?? {};
  checkKeys(a, API_KEYS, 'api');
  const out: ApiConfig = {
    enabled: a.enabled === undefined ? true : bool(a.enabled, 'api.enabled'),
    host: a.host === undefined ? '127.0.0.1' : str(a.host, 'api.host'),
    port: a.port === undefined ? DEFAULT_API_PORT : int(a.port, 'api.port', 0, 65535),
    accessTokenSeconds:
      a.accessTokenSeconds === undefined ? 900 : int(a.accessTokenSeconds, 'api.accessTokenSeconds', 10, 86400),
    refreshTokenSeconds:
      a.refreshTokenSeconds === undefined
        ? 7 * 86400
        : int(a.refreshTokenSeconds, 'api.refreshTokenSeconds', 60, 365 * 86400),
  };
  if ((a.tlsCert === undefined) !== (a.tlsKey === undefined)) {
    const missing = a.tlsCert === undefined ? 'api.tlsCert' : 'api.tlsKey';
    throw new ConfigError(missing, 'api.tlsCert and api.tlsKey go together (PEM files)');
  }
  if (a.tlsCert !== undefined) {
    out.tls = { cert: resolve(str(a.tlsCert, 'api.tlsCert')), key: resolve(str(a.tlsKey, 'api.tlsKey')) };
  }
  return out;
}

function smbConfig(raw: unknown): SmbConfig {
  if (raw !== undefined && !isObject(raw)) throw new ConfigError('smb', 'must be a mapping');
  const a: Raw = raw ?? {};
  checkKeys(a, SMB_KEYS, 'smb');
  const serverName = a.serverName === undefined ? 'DITTOFS' : str(a.serverName, 'smb.serverName');
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(serverName)) {
    throw new ConfigError('smb.serverName', 'must be 1-15 letters, digits, "_" or "-" (a NetBIOS name)');
  }
  const domain = a.domain === undefined ? 'WORKGROUP' : str(a.domain, 'smb.domain');
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(domain)) {
    throw new ConfigError('smb.domain', 'must be 1-15 letters, digits, "_", "." or "-"');
  }
  return {
    enabled: a.enabled === undefined ? false : bool(a.enabled, 'smb.enabled'),
    port: a.port === undefined ? DEFAULT_SMB_PORT : int(a.port, 'smb.port', 0, 65535),
    serverName: serverName.toUpperCase(),
    domain: domain.toUpperCase(),
    requireSigning: a.requireSigning === undefined ? false : bool(a.requireSigning, 'smb.requireSigning'),
  };
}

function databaseConfig(raw: unknown, dataDir: string): DatabaseConfig {
  if (raw !== undefined && !isObject(raw)) throw new ConfigError('database', 'must be a mapping');
  const d: Raw = raw ?? {};
  checkKeys(d, DATABASE_KEYS, 'database');
  const type = d.type ?? 'sqlite';
  if (type === 'postgres') {
    if (d.path !== undefined) throw new ConfigError('database.path', 'only used with type sqlite');
    const url = str(d.url, 'database.url');
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('database.url', 'must be a postgres:// URL');
    const schema = d.schema === undefined ? 'dittofs_cp' : str(d.schema, 'database.schema');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) {
      throw new ConfigError('database.schema', 'must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)');
    }
    return { type: 'postgres', url, schema };
  }
  if (type !== 'sqlite') {
    throw new ConfigError(
      'database.type',
      `unsupported control-plane database ${JSON.stringify(type)} (available: sqlite, postgres)`,
    );
  }
  if (d.url !== undefined) throw new ConfigError('database.url', 'only used with type postgres');
  if (d.schema !== undefined) throw new ConfigError('database.schema', 'only used with type postgres');
  const path = d.path === undefined ? join(dataDir, 'controlplane.db') : str(d.path, 'database.path');
  return { type: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
}

/**
 * Validate a parsed YAML document; throws ConfigError naming the offending key.
 * Precedence: `overrides` (command-line options) > `env` (DITTOFS_*) > the document > defaults.
 */
export function parseConfig(raw: unknown, overrides: Partial<ServerConfig> = {}, env: Env = {}): ServerConfig {
  if (raw !== null && raw !== undefined && !isObject(raw))
    throw new ConfigError('(root)', 'the config must be a YAML mapping');
  const { doc, fromEnv } = applyEnv(raw === null || raw === undefined ? {} : (raw as Raw), env);
  try {
    return parseDocument(doc, overrides);
  } catch (e) {
    // Name the variable when the wrong value came from the environment.
    if (e instanceof ConfigError) {
      for (const [key, name] of fromEnv) {
        if (e.key === key || e.key.startsWith(`${key}.`) || e.key.startsWith(`${key}[`)) {
          throw new ConfigError(`${e.key} (from ${name})`, e.message.slice(e.key.length + 2));
        }
      }
    }
    throw e;
  }
}

function parseDocument(doc: Raw, overrides: Partial<ServerConfig>): ServerConfig {
  checkKeys(doc, TOP_KEYS, '');
  const dataDir = resolve(
    overrides.dataDir ?? (doc.dataDir === undefined ? defaultDataDir() : str(doc.dataDir, 'dataDir')),
  );
  const logLevel = overrides.logLevel ?? doc.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as (typeof LOG_LEVELS)[number])) {
    throw new ConfigError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const sharesRaw = doc.shares ?? [{ name: '/export' }];
  if (!Array.isArray(sharesRaw)) throw new ConfigError('shares', 'must be a list');
  const shares = sharesRaw.map((s, i) => shareConfig(s, i, dataDir));
  const names = new Set<string>();
  const paths = new Set<string>();
  shares.forEach((s, i) => {
    if (names.has(s.name)) throw new ConfigError(`shares[${i}].name`, `duplicate share ${s.name}`);
    names.add(s.name);
    for (const [key, store] of [
      ['metadata', s.metadata],
      ['blocks', s.blocks],
    ] as const) {
      if (!('path' in store)) continue;
      if (paths.has(store.path)) {
        throw new ConfigError(
          `shares[${i}].${key}.path`,
          `${store.path} is already used by another share; set a distinct path`,
        );
      }
      paths.add(store.path);
    }
  });
  const maxIo = doc.maxIo === undefined ? 1024 * 1024 : int(doc.maxIo, 'maxIo', 4096, 4 * 1024 * 1024);
  const maxRecordSize =
    doc.maxRecordSize === undefined
      ? Math.max(4 * 1024 * 1024, maxIo + 65536)
      : int(doc.maxRecordSize, 'maxRecordSize', 65536, 64 * 1024 * 1024);
  // A WRITE of maxIo bytes plus its RPC header must fit in one record.
  if (maxRecordSize < maxIo + 4096)
    throw new ConfigError('maxRecordSize', `must be at least maxIo + 4096 (${maxIo + 4096})`);
  return {
    host: overrides.host ?? (doc.host === undefined ? '0.0.0.0' : str(doc.host, 'host')),
    port: overrides.port ?? (doc.port === undefined ? DEFAULT_PORT : int(doc.port, 'port', 0, 65535)),
    portmapPort: doc.portmapPort === undefined ? 0 : int(doc.portmapPort, 'portmapPort', 0, 65535),
    logLevel: logLevel as ServerConfig['logLevel'],
    dataDir,
    maxRecordSize,
    maxIo,
    lockGraceSeconds:
      doc.lockGraceSeconds === undefined
        ? DEFAULT_GRACE_SECONDS
        : int(doc.lockGraceSeconds, 'lockGraceSeconds', 0, 3600),
    shares,
    api: overrides.api ?? apiConfig(doc.api),
    database: overrides.database ?? databaseConfig(doc.database, dataDir),
    smb: overrides.smb ?? smbConfig(doc.smb),
  };
}

export async function loadConfigFile(
  path: string,
  overrides: Partial<ServerConfig> = {},
  env: Env = {},
): Promise<ServerConfig> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError('(file)', `${path} is not valid YAML: ${(e as Error).message}`);
  }
  return parseConfig(raw, overrides, env);
}
