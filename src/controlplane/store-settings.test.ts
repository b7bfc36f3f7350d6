import { describe, expect, it } from 'vitest';
import {
  REDACTED,
  StoreSettingsError,
  checkDurability,
  checkStoreSettings,
  redactStore,
  redactUrl,
  shareBlocksOf,
  shareMetadataOf,
} from './store-settings.js';

describe('store settings', () => {
  it('fill in defaults and accept every documented field', () => {
    expect(checkStoreSettings('metadata', 'postgres', { url: 'postgresql://h/db' })).toEqual({
      url: 'postgresql://h/db',
      schema: 'dittofs',
    });
    expect(checkStoreSettings('block', 'tiered', undefined)).toEqual({ chunkSize: 1024 * 1024 });
    expect(
      checkStoreSettings('block', 's3', {
        chunkSize: 4096,
        localBudgetBytes: 1 << 20,
        s3: {
          bucket: 'b',
          prefix: 'p',
          endpoint: 'http://e',
          region: 'r',
          forcePathStyle: true,
          accessKeyId: 'k',
          secretAccessKey: 's',
        },
      }),
    ).toMatchObject({ chunkSize: 4096, s3: { bucket: 'b', forcePathStyle: true, secretAccessKey: 's' } });
    expect(checkStoreSettings('block', 'fs', undefined)).toBeUndefined();
  });

  it('name the field that is wrong', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(StoreSettingsError);
        return (e as StoreSettingsError).field;
      }
      throw new Error('accepted');
    };
    expect(field(() => checkStoreSettings('metadata', 'postgres', {}))).toBe('settings.url');
    expect(field(() => checkStoreSettings('metadata', 'postgres', { url: 'postgres://h', schema: '1x' }))).toBe(
      'settings.schema',
    );
    expect(field(() => checkStoreSettings('block', 's3', { s3: { bucket: '' } }))).toBe('settings.s3.bucket');
    expect(field(() => checkStoreSettings('block', 's3', { s3: { bucket: 'b', forcePathStyle: 'yes' } }))).toBe(
      'settings.s3.forcePathStyle',
    );
    expect(field(() => checkStoreSettings('block', 'tiered', { chunkSize: 17 * 1024 * 1024 }))).toBe(
      'settings.chunkSize',
    );
    expect(field(() => checkStoreSettings('metadata', 'memory', { schema: 'x' }))).toBe('settings.schema');
    expect(field(() => checkStoreSettings('block', 'tiered', { other: 1 }))).toBe('settings.other');
    expect(field(() => checkDurability('remote', 'tiered'))).toBe('durability');
    expect(field(() => checkDurability('writeback', 'memory'))).toBe('durability');
    expect(checkDurability('local-durable', 'memory')).toBe('local-durable');
  });

  it('redact the postgres password and the S3 secret key, nothing else', () => {
    expect(redactUrl('postgres://u:p%40ss@h:5432/db')).toBe(`postgres://u:${REDACTED}@h:5432/db`);
    expect(redactUrl('postgres://h/db?user=u&password=pw&ssl=1')).toBe(
      `postgres://h/db?user=u&password=${REDACTED}&ssl=1`,
    );
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
    const rec = {
      kind: 'block' as const,
      name: 's',
      type: 's3',
      settings: { s3: { bucket: 'b', accessKeyId: 'k', secretAccessKey: 'top' } },
    };
    expect(redactStore(rec).settings?.s3).toEqual({ bucket: 'b', accessKeyId: 'k', secretAccessKey: REDACTED });
    expect(rec.settings.s3.secretAccessKey).toBe('top');
  });

  it('give each share its own directory, postgres key and S3 prefix', () => {
    const s3 = {
      kind: 'block' as const,
      name: 's',
      type: 's3',
      path: '/d',
      settings: { s3: { bucket: 'b', prefix: 'x' } },
    };
    expect(shareBlocksOf(s3, '/a/b')).toEqual({
      type: 's3',
      path: '/d/a_b',
      chunkSize: 1024 * 1024,
      s3: { bucket: 'b', prefix: 'x/a_b/', forcePathStyle: false },
    });
    const bare = { ...s3, settings: { s3: { bucket: 'b' } } };
    expect(shareBlocksOf(bare, '/t')).toMatchObject({ s3: { prefix: 't/' } });
    expect(
      shareMetadataOf(
        { kind: 'metadata', name: 'p', type: 'postgres', settings: { url: 'postgres://h', schema: 'z' } },
        '/t',
      ),
    ).toEqual({ type: 'postgres', url: 'postgres://h', schema: 'z', shareKey: '/t', poolSize: 10 });
  });
});
