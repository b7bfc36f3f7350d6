import { join } from 'node:path';
import { DURABILITY_MODES, type DurabilityMode } from '../storage/block/store.js';
import type { ShareConfig, TieredBlocksConfig } from './config.js';
import type { StoreKind, StoreRecord, StoreSettings } from './store/types.js';

/**
 * Stores created through the API: which types exist, how their settings are
 * validated (the same rules config.ts applies to a share's `metadata` and
 * `blocks` in the configuration file), how a share on them is configured,
 * and how their secrets are hidden from API views.
 */

export const STORE_TYPES: Record<StoreKind, readonly string[]> = {
  metadata: ['memory', 'lmdb', 'postgres'],
  block: ['memory', 'fs', 'tiered', 's3'],
};

/** Types that keep data in a directory (`path`). */
const ON_DISK = new Set(['lmdb', 'fs', 'tiered', 's3']);

/** What API views show instead of a secret. */
export const REDACTED = '***';

const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const MIN_CHUNK_SIZE = 4096;
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
const MIN_LOCAL_BUDGET = 1024 * 1024;
const DEFAULT_PG_SCHEMA = 'dittofs';
const DEFAULT_PG_POOL = 10;
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PG_URL = /^postgres(ql)?:\/\//;
const S3_STRINGS = ['prefix', 'endpoint', 'region', 'accessKeyId', 'secretAccessKey'] as const;
const S3_KEYS = ['bucket', 'forcePathStyle', ...S3_STRINGS] as const;

/** A setting is wrong; `field` is its path in the request body (e.g. `settings.s3.bucket`). */
export class StoreSettingsError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'StoreSettingsError';
  }
}

export function onDisk(type: string): boolean {
  return ON_DISK.has(type);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new StoreSettingsError(field, 'must be a non-empty string');
  return v;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new StoreSettingsError(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function onlyFor(field: string, types: string): never {
  throw new StoreSettingsError(field, `only for ${types}`);
}

/**
 * Validate a store's settings for its type and fill in defaults (postgres
 * schema `dittofs`; chunk size 1 MiB; forcePathStyle false). Returns
 * undefined for types that take no settings. Throws StoreSettingsError
 * naming the offending field.
 */
export function checkStoreSettings(kind: StoreKind, type: string, raw: unknown): StoreSettings | undefined {
  if (raw === undefined) raw = {};
  if (!isObject(raw)) throw new StoreSettingsError('settings', 'must be an object');
  const known = ['url', 'schema', 'chunkSize', 'localBudgetBytes', 's3'];
  for (const k of Object.keys(raw)) {
    if (!known.includes(k))
      throw new StoreSettingsError(`settings.${k}`, `unknown setting (one of ${known.join(', ')})`);
  }
  const pg = kind === 'metadata' && type === 'postgres';
  const chunked = kind === 'block' && (type === 'tiered' || type === 's3');
  for (const k of ['url', 'schema'] as const)
    if (raw[k] !== undefined && !pg) onlyFor(`settings.${k}`, 'metadata stores of type postgres');
  for (const k of ['chunkSize', 'localBudgetBytes'] as const)
    if (raw[k] !== undefined && !chunked) onlyFor(`settings.${k}`, 'block stores of type tiered or s3');
  if (raw.s3 !== undefined && !(kind === 'block' && type === 's3')) onlyFor('settings.s3', 'block stores of type s3');

  if (pg) {
    const url = str(raw.url, 'settings.url');
    if (!PG_URL.test(url)) throw new StoreSettingsError('settings.url', 'must be a postgres:// URL');
    const schema = raw.schema === undefined ? DEFAULT_PG_SCHEMA : str(raw.schema, 'settings.schema');
    if (!SQL_IDENTIFIER.test(schema)) {
      throw new StoreSettingsError('settings.schema', 'must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)');
    }
    return { url, schema };
  }
  if (!chunked) return undefined;
  const out: StoreSettings = {
    chunkSize:
      raw.chunkSize === undefined
        ? DEFAULT_CHUNK_SIZE
        : int(raw.chunkSize, 'settings.chunkSize', MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
  };
  if (raw.localBudgetBytes !== undefined) {
    out.localBudgetBytes = int(
      raw.localBudgetBytes,
      'settings.localBudgetBytes',
      MIN_LOCAL_BUDGET,
      Number.MAX_SAFE_INTEGER,
    );
  }
  if (type === 's3') {
    const s3 = raw.s3;
    if (!isObject(s3)) throw new StoreSettingsError('settings.s3', 'must be an object with at least bucket');
    for (const k of Object.keys(s3)) {
      if (!(S3_KEYS as readonly string[]).includes(k)) {
        throw new StoreSettingsError(`settings.s3.${k}`, `unknown setting (one of ${S3_KEYS.join(', ')})`);
      }
    }
    if (s3.forcePathStyle !== undefined && typeof s3.forcePathStyle !== 'boolean') {
      throw new StoreSettingsError('settings.s3.forcePathStyle', 'must be true or false');
    }
    out.s3 = { bucket: str(s3.bucket, 'settings.s3.bucket'), forcePathStyle: s3.forcePathStyle === true };
    for (const k of S3_STRINGS) if (s3[k] !== undefined) out.s3[k] = str(s3[k], `settings.s3.${k}`);
    if ((out.s3.accessKeyId === undefined) !== (out.s3.secretAccessKey === undefined)) {
      throw new StoreSettingsError('settings.s3', 'set both accessKeyId and secretAccessKey, or neither');
    }
  }
  return out;
}

/**
 * A durability mode a share may use on a block store of this type
 * (docs/block-storage.md): `remote` needs the S3 tier, `writeback` the
 * chunked store; `local-durable` is what every type does.
 */
export function checkDurability(mode: unknown, blockType: string): DurabilityMode {
  if (!DURABILITY_MODES.includes(mode as DurabilityMode)) {
    throw new StoreSettingsError('durability', `must be one of ${DURABILITY_MODES.join(', ')}`);
  }
  if (mode === 'remote' && blockType !== 's3') {
    throw new StoreSettingsError('durability', `remote needs a block store of type s3 (this one is ${blockType})`);
  }
  if (mode === 'writeback' && blockType !== 'tiered' && blockType !== 's3') {
    throw new StoreSettingsError(
      'durability',
      `writeback needs a block store of type tiered or s3 (this one is ${blockType})`,
    );
  }
  return mode as DurabilityMode;
}

/** The password inside a postgres URL (user:password@ or ?password=), replaced by REDACTED. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^@/?#]*@/i, `$1${REDACTED}@`)
    .replace(/([?&]password=)[^&#]*/gi, `$1${REDACTED}`);
}

/** A store as the API shows it: secrets (S3 secret key, postgres password) replaced by REDACTED. */
export function redactStore(s: StoreRecord): StoreRecord {
  if (!s.settings) return s;
  const settings: StoreSettings = { ...s.settings };
  if (settings.url !== undefined) settings.url = redactUrl(settings.url);
  if (settings.s3) {
    settings.s3 = { ...settings.s3 };
    if (settings.s3.secretAccessKey !== undefined) settings.s3.secretAccessKey = REDACTED;
  }
  return { ...s, settings };
}

/** Directory name of a share inside a store directory ("/a/b" → "a_b"), as config.ts names default paths. */
export function shareDirName(name: string): string {
  return name.replace(/^\/+/, '').replace(/[^A-Za-z0-9_.-]/g, '_') || 'root';
}

/**
 * A share's metadata on a store: lmdb in the store's directory plus a
 * subdirectory per share; postgres with the share's name as its key, so
 * every node given the same store serves the same namespace.
 */
export function shareMetadataOf(store: StoreRecord, share: string): ShareConfig['metadata'] {
  if (store.type === 'lmdb') return { type: 'lmdb', path: join(store.path!, shareDirName(share)) };
  if (store.type === 'postgres') {
    return {
      type: 'postgres',
      url: store.settings!.url!,
      schema: store.settings!.schema ?? DEFAULT_PG_SCHEMA,
      shareKey: share,
      poolSize: DEFAULT_PG_POOL,
    };
  }
  return { type: 'memory' };
}

/**
 * A share's block store: a subdirectory of the store's directory; for s3
 * also its own key prefix (the store's prefix + the share's directory
 * name), because shares in one bucket must never see, nor garbage-collect,
 * each other's chunks.
 */
export function shareBlocksOf(store: StoreRecord, share: string): ShareConfig['blocks'] {
  const dir = shareDirName(share);
  if (store.type === 'fs') return { type: 'fs', path: join(store.path!, dir) };
  if (store.type !== 'tiered' && store.type !== 's3') return { type: 'memory' };
  const st = store.settings ?? {};
  const out: TieredBlocksConfig = {
    type: store.type,
    path: join(store.path!, dir),
    chunkSize: st.chunkSize ?? DEFAULT_CHUNK_SIZE,
  };
  if (st.localBudgetBytes !== undefined) out.localBudgetBytes = st.localBudgetBytes;
  if (store.type === 's3' && st.s3) {
    const base = st.s3.prefix === undefined || st.s3.prefix.endsWith('/') ? (st.s3.prefix ?? '') : `${st.s3.prefix}/`;
    out.s3 = { ...st.s3, forcePathStyle: st.s3.forcePathStyle === true, prefix: `${base}${dir}/` };
  }
  return out;
}
