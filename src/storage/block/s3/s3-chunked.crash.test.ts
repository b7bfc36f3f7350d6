import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type TestS3 } from '../../../../test/support/s3rver.js';
import { expectBytes, pattern } from '../conformance.js';
import { ChunkedBlockStore } from '../chunked/chunked-block-store.js';
import { FsLocalTier } from '../chunked/fs-local-tier.js';
import { S3Remote } from './s3-remote.js';

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startS3rver();
  dir = await mkdtemp(join(tmpdir(), 'dfs-s3crash-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

function open(): ChunkedBlockStore {
  return new ChunkedBlockStore({
    dir,
    local: new FsLocalTier(join(dir, 'local')),
    remote: new S3Remote({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      prefix: 'crash/',
      forcePathStyle: true,
      credentials: s3.credentials,
    }),
    chunkSize: 65_536,
  });
}

/** Run the writer until it acknowledged `minAcks` files with uploads still pending, then SIGKILL it. */
function runAndKill(minAcks: number): Promise<{ acked: number; backlogAtKill: number }> {
  const child = fileURLToPath(new URL('./crash-writer.child.ts', import.meta.url));
  const p = spawn(process.execPath, ['--import', 'tsx', child, dir, s3.endpoint, s3.bucket], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let acked = 0;
  let backlog = 0;
  return new Promise((resolve, reject) => {
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        const m = /^ACK (\d+) (\d+)$/.exec(l);
        if (m === null) continue;
        acked = Number(m[1]) + 1;
        backlog = Number(m[2]);
        if (acked >= minAcks && backlog > 0) p.kill('SIGKILL');
      }
    });
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acked, backlogAtKill: backlog });
      else reject(new Error(`writer exited with ${code}: ${err}`));
    });
  });
}

describe('SIGKILL during uploads', () => {
  it('keeps every acknowledged file readable and finishes the pending uploads after restart', async () => {
    const { acked, backlogAtKill } = await runAndKill(15);
    expect(acked).toBeGreaterThanOrEqual(15);
    expect(backlogAtKill).toBeGreaterThan(0);

    let store = open();
    await store.open();
    for (let n = 0; n < acked; n++) expectBytes(await store.read(`file${n}`, 0, 200_000), pattern(200_000, n + 1));
    await store.drainUploads(20_000);
    const remote = new S3Remote({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      prefix: 'crash/',
      forcePathStyle: true,
      credentials: s3.credentials,
    });
    const inBucket = new Set(await remote.list());
    await remote.close();
    for (const h of store.referencedChunks()) expect(inBucket.has(h), `chunk ${h} uploaded`).toBe(true);
    await store.close();

    // Everything acknowledged is now in S3: read it back with the local tier gone.
    await rm(join(dir, 'local'), { recursive: true, force: true });
    store = open();
    await store.open();
    for (let n = 0; n < acked; n++) expectBytes(await store.read(`file${n}`, 0, 200_000), pattern(200_000, n + 1));
    await store.close();
  });
});
