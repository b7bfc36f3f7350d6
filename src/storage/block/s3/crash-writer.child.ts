/**
 * Child process of s3-chunked.crash.test.ts: writes files into an S3-backed
 * chunked store (local-durable) over a deliberately slow link, printing
 * `ACK <n> <backlog>` after each commit resolves, until it is killed.
 * argv: <store dir> <endpoint> <bucket>
 */
import { join } from 'node:path';
import { pattern } from '../conformance.js';
import { ChunkedBlockStore } from '../chunked/chunked-block-store.js';
import { FsLocalTier } from '../chunked/fs-local-tier.js';
import type { RemoteChunkStore } from '../chunked/tiers.js';
import { S3Remote } from './s3-remote.js';

const [dir, endpoint, bucket] = process.argv.slice(2);
const s3 = new S3Remote({
  bucket,
  endpoint,
  prefix: 'crash/',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
// A slow link keeps uploads queued and in flight when the kill comes.
const slow: RemoteChunkStore = {
  kind: 's3-slow',
  put: async (h, d) => {
    await new Promise((r) => setTimeout(r, 15));
    await s3.put(h, d);
  },
  get: (h) => s3.get(h),
  delete: (h) => s3.delete(h),
  list: () => s3.list(),
  close: () => s3.close(),
};
const store = new ChunkedBlockStore({
  dir,
  local: new FsLocalTier(join(dir, 'local')),
  remote: slow,
  chunkSize: 65_536,
  syncer: { concurrency: 2 },
});
await store.open();
for (let n = 0; ; n++) {
  await store.write(`file${n}`, 0, pattern(200_000, n + 1));
  await store.commit(`file${n}`);
  process.stdout.write(`ACK ${n} ${store.stats().pendingUploads}\n`);
}
