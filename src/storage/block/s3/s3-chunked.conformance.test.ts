import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type TestS3 } from '../../../../test/support/s3rver.js';
import { pattern, runBlockStoreConformance, expectBytes } from '../conformance.js';
import { ChunkedBlockStore } from '../chunked/chunked-block-store.js';
import { FsLocalTier } from '../chunked/fs-local-tier.js';
import { S3Remote } from './s3-remote.js';

let s3: TestS3;
const dirs: string[] = [];
let n = 0;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function remote(prefix: string): S3Remote {
  return new S3Remote({
    bucket: s3.bucket,
    prefix,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
    requestTimeoutMs: 5000,
  });
}

async function store(
  prefix: string,
  dir?: string,
  mode: 'local-durable' | 'remote' = 'local-durable',
): Promise<ChunkedBlockStore> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'dfs-s3c-')));
  dirs.push(d);
  return new ChunkedBlockStore({
    dir: d,
    local: new FsLocalTier(join(d, 'local')),
    remote: remote(prefix),
    chunkSize: 65_536,
    durability: mode,
  });
}

runBlockStoreConformance('chunked fs local + S3 (s3rver)', () => store(`conf${n++}/`, undefined, 'remote'));

describe('S3 remote tier', () => {
  it('stores chunks as objects under the prefix and lists them back', async () => {
    const r = remote('raw/');
    const hash = 'ab'.repeat(32);
    await r.put(hash, Buffer.from('chunk bytes'));
    expect((await r.get(hash))?.toString()).toBe('chunk bytes');
    expect(await r.list()).toEqual([hash]);
    expect(await r.get('cd'.repeat(32))).toBeUndefined();
    await r.delete(hash);
    expect(await r.list()).toEqual([]);
    await r.close();
  });

  it('reads everything back cold from S3 after the local tier is emptied', async () => {
    const d = await mkdtemp(join(tmpdir(), 'dfs-s3cold-'));
    dirs.push(d);
    const data = pattern(500_000, 77);
    let s = await store('cold/', d, 'remote');
    await s.open();
    await s.write('f', 0, data);
    await s.commit('f');
    await s.close();
    await rm(join(d, 'local'), { recursive: true, force: true });
    s = await store('cold/', d);
    await s.open();
    expect(s.stats().localBytes).toBe(0);
    expectBytes(await s.read('f', 0, data.length), data);
    // Cold reads warmed the local tier.
    expect(s.stats().localBytes).toBeGreaterThan(0);
    await s.close();
  });
});
