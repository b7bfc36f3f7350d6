import { Writable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type TestS3 } from '../../../test/support/s3rver.js';
import { startApiFixture, type ApiFixture } from './test-server.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const ROOT_CRED = { uid: 0, gid: 0, gids: [] };
const PG_PASSWORD = 'pg-secret-pw-31337';

describe('REST API: stores of every type and shares on them', () => {
  let f: ApiFixture;
  let s3: TestS3;
  /** Every log line the server wrote (trace level): secrets must never appear in it. */
  let logText = '';

  beforeAll(async () => {
    s3 = await startS3rver('api-bucket');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logText += chunk.toString('utf8');
        done();
      },
    });
    f = await startApiFixture({}, { logger: pino({ level: 'trace' }, sink) });
  });
  afterAll(async () => {
    await f.close();
    await s3.close();
  });

  function call(method: Method, url: string, payload?: unknown) {
    return f.api.inject({
      method,
      url,
      headers: f.admin,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }

  async function refused(method: Method, url: string, payload: unknown, field: RegExp): Promise<void> {
    const r = await call(method, url, payload);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().error.code).toBe('VALIDATION_FAILED');
    expect(r.json().error.message).toMatch(field);
  }

  it('metadata postgres: settings kept, the URL password shown as ***', async () => {
    const url = `postgres://dfs:${PG_PASSWORD}@127.0.0.1:1/db?sslmode=disable`;
    const c = await call('POST', '/api/v1/stores/metadata', { name: 'pg', type: 'postgres', settings: { url } });
    expect(c.statusCode, c.body).toBe(201);
    expect(c.json()).toEqual({
      kind: 'metadata',
      name: 'pg',
      type: 'postgres',
      settings: { url: 'postgres://dfs:***@127.0.0.1:1/db?sslmode=disable', schema: 'dittofs' },
    });
    expect((await call('GET', '/api/v1/stores/metadata/pg')).body).not.toContain(PG_PASSWORD);
    expect((await call('GET', '/api/v1/stores/metadata')).body).not.toContain(PG_PASSWORD);
    // The server itself keeps the real URL.
    expect((await f.server.controlPlane.store.getStore('metadata', 'pg'))?.settings?.url).toBe(url);
  });

  it('refuses wrong settings with a message naming the field', async () => {
    const meta = '/api/v1/stores/metadata';
    const block = '/api/v1/stores/block';
    await refused('POST', meta, { name: 'a', type: 'postgres' }, /settings\.url/);
    await refused('POST', meta, { name: 'a', type: 'postgres', settings: { url: 'mysql://x' } }, /settings\.url/);
    await refused(
      'POST',
      meta,
      { name: 'a', type: 'postgres', settings: { url: 'postgres://h/db', schema: 'x-y' } },
      /settings\.schema/,
    );
    await refused(
      'POST',
      meta,
      { name: 'a', type: 'postgres', path: '/tmp/x', settings: { url: 'postgres://h' } },
      /path/,
    );
    await refused('POST', meta, { name: 'a', type: 'lmdb', settings: { url: 'postgres://h' } }, /settings\.url/);
    await refused('POST', meta, { name: 'a', type: 'sqlite' }, /type/);
    await refused('POST', block, { name: 'a', type: 'fs', settings: { chunkSize: 65536 } }, /settings\.chunkSize/);
    await refused('POST', block, { name: 'a', type: 'tiered', settings: { chunkSize: 100 } }, /settings\.chunkSize/);
    await refused(
      'POST',
      block,
      { name: 'a', type: 'tiered', settings: { localBudgetBytes: 10 } },
      /settings\.localBudgetBytes/,
    );
    await refused('POST', block, { name: 'a', type: 'tiered', settings: { s3: { bucket: 'b' } } }, /settings\.s3/);
    await refused('POST', block, { name: 'a', type: 's3' }, /settings\.s3/);
    await refused('POST', block, { name: 'a', type: 's3', settings: { s3: {} } }, /bucket/);
    await refused(
      'POST',
      block,
      { name: 'a', type: 's3', settings: { s3: { bucket: 'b', accessKeyId: 'k' } } },
      /settings\.s3/,
    );
    await refused(
      'POST',
      block,
      { name: 'a', type: 's3', settings: { s3: { bucket: 'b', colour: 'red' } } },
      /colour|additional/,
    );
    expect((await call('GET', '/api/v1/stores/block')).json()).toEqual([]);
  });

  it('tiered block store: a share on it with durability writeback is exported, its chunks under the store path', async () => {
    expect((await call('POST', '/api/v1/stores/metadata', { name: 'lm', type: 'lmdb' })).statusCode).toBe(201);
    const t = await call('POST', '/api/v1/stores/block', {
      name: 'tier',
      type: 'tiered',
      settings: { chunkSize: 65536, localBudgetBytes: 8 * 1024 * 1024 },
    });
    expect(t.statusCode, t.body).toBe(201);
    expect(t.json()).toMatchObject({
      type: 'tiered',
      path: `${f.dataDir}/block-stores/tier`,
      settings: { chunkSize: 65536, localBudgetBytes: 8 * 1024 * 1024 },
    });
    const c = await call('POST', '/api/v1/shares', {
      name: '/fast',
      metadataStore: 'lm',
      blockStore: 'tier',
      durability: 'writeback',
    });
    expect(c.statusCode, c.body).toBe(201);
    expect(c.json()).toMatchObject({ exported: true, options: { durability: 'writeback' } });
    const rec = await f.server.controlPlane.store.getShare('/fast');
    const sc = await f.server.controlPlane.shareConfigOf(rec!);
    expect(sc.durability).toBe('writeback');
    expect(sc.blocks).toMatchObject({ type: 'tiered', path: `${f.dataDir}/block-stores/tier/fast`, chunkSize: 65536 });
    expect(sc.metadata).toEqual({ type: 'lmdb', path: `${f.dataDir}/metadata-stores/lm/fast` });
    const vfs = f.server.runtime.shares.byName('/fast')!.vfs;
    const { obj } = await vfs.create(ROOT_CRED, vfs.root(), 'f', { kind: 'guarded', set: {} });
    await vfs.write(ROOT_CRED, obj.id, 0, Buffer.alloc(100_000, 7), 'file_sync');
    expect((await vfs.read(ROOT_CRED, obj.id, 0, 100_000)).data.equals(Buffer.alloc(100_000, 7))).toBe(true);
    expect((await stat(`${f.dataDir}/block-stores/tier/fast`)).isDirectory()).toBe(true);
  });

  it('share durability is checked against the block store; a live change is refused with 409', async () => {
    await call('POST', '/api/v1/stores/block', { name: 'plain', type: 'fs' });
    await call('POST', '/api/v1/stores/metadata', { name: 'mm', type: 'memory' });
    await refused(
      'POST',
      '/api/v1/shares',
      { name: '/r', metadataStore: 'lm', blockStore: 'tier', durability: 'remote' },
      /durability: remote needs a block store of type s3/,
    );
    await refused(
      'POST',
      '/api/v1/shares',
      { name: '/w', metadataStore: 'lm', blockStore: 'plain', durability: 'writeback' },
      /durability: writeback needs/,
    );
    await refused(
      'POST',
      '/api/v1/shares',
      { name: '/w', metadataStore: 'lm', blockStore: 'plain', durability: 'fast' },
      /durability/,
    );
    await refused(
      'POST',
      '/api/v1/shares',
      { name: '/m', metadataStore: 'mm', blockStore: 'tier' },
      /blockStore: tiered store tier needs persistent metadata/,
    );
    expect(f.server.runtime.shares.byName('/r')).toBeUndefined();
    expect(await f.server.controlPlane.store.getShare('/m')).toBeUndefined();
    const same = await call('PATCH', '/api/v1/shares/fast', { durability: 'writeback', readOnly: true });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json().options).toMatchObject({ durability: 'writeback', readOnly: true });
    const live = await call('PATCH', '/api/v1/shares/fast', { durability: 'local-durable' });
    expect(live.statusCode).toBe(409);
    expect(live.json().error).toMatchObject({
      code: 'SHARE_REEXPORT_REQUIRED',
      message: expect.stringMatching(/delete the share and create it again/i),
    });
    expect((await call('GET', '/api/v1/shares/fast')).json().options.durability).toBe('writeback');
    await refused('PATCH', '/api/v1/shares/fast', { durability: 'remote' }, /durability: remote/);
  });

  it('s3 block store: secret redacted; a share with durability remote puts its chunks under its own prefix', async () => {
    const { accessKeyId, secretAccessKey } = s3.credentials;
    const c = await call('POST', '/api/v1/stores/block', {
      name: 'obj',
      type: 's3',
      settings: {
        chunkSize: 65536,
        s3: {
          bucket: s3.bucket,
          prefix: 'dfs',
          endpoint: s3.endpoint,
          region: 'us-east-1',
          forcePathStyle: true,
          accessKeyId,
          secretAccessKey,
        },
      },
    });
    expect(c.statusCode, c.body).toBe(201);
    expect(c.json().settings.s3).toEqual({
      bucket: s3.bucket,
      prefix: 'dfs',
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId,
      secretAccessKey: '***',
    });
    const sh = await call('POST', '/api/v1/shares', {
      name: '/cloud',
      metadataStore: 'lm',
      blockStore: 'obj',
      durability: 'remote',
    });
    expect(sh.statusCode, sh.body).toBe(201);
    const vfs = f.server.runtime.shares.byName('/cloud')!.vfs;
    const { obj } = await vfs.create(ROOT_CRED, vfs.root(), 'g', { kind: 'guarded', set: {} });
    // durability remote: a stable write returns once the chunk is in the bucket.
    await vfs.write(ROOT_CRED, obj.id, 0, Buffer.alloc(70_000, 9), 'file_sync');
    await vfs.commit(ROOT_CRED, obj.id);
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: s3.credentials,
    });
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
      const keys = (listed.Contents ?? []).map((o) => o.Key!);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.startsWith('dfs/cloud/'))).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('secrets never appear in what the API returns or in the log', async () => {
    const all = [
      (await call('GET', '/api/v1/stores/block')).body,
      (await call('GET', '/api/v1/stores/metadata')).body,
      (await call('GET', '/api/v1/shares')).body,
    ].join('\n');
    expect(all).toContain('"secretAccessKey":"***"');
    expect(all).not.toContain(PG_PASSWORD);
    expect(all).not.toMatch(/"secretAccessKey":"(?!\*\*\*")/);
    // s3rver's secret is its key id too: the log holds neither, nor the field.
    expect(logText).toMatch(/store created/);
    expect(logText).not.toContain(PG_PASSWORD);
    expect(logText).not.toContain(s3.credentials.secretAccessKey);
    expect(logText).not.toMatch(/secretAccessKey/);
  });
});
