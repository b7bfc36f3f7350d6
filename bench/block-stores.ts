/**
 * Block-store figures for the issue note: sequential write and read MB/s.
 *
 *   npx tsx bench/block-stores.ts [--mib N] [--io KiB]
 *
 * Each store gets N MiB (default 256) of incompressible, non-repeating data
 * in `io`-sized writes (default 1024 KiB, a kernel client's wsize), then one
 * commit (how an NFS client ends an UNSTABLE stream), then sequential reads
 * of the same size. Rows:
 * - fs: the one-file-per-content FsBlockStore (baseline)
 * - chunked local-durable: content-addressed chunks on a local directory
 * - chunked + S3 local-durable / remote: the same in front of s3rver on
 *   loopback (remote mode's commit waits for every upload)
 * - S3 cold read: the local tier deleted and the store reopened, so every
 *   chunk comes from S3; S3 warm read: read again (local tier and cache warm).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChunkedBlockStore } from '../src/storage/block/chunked/index.js';
import { FsLocalTier } from '../src/storage/block/chunked/index.js';
import { FsBlockStore } from '../src/storage/block/fs/index.js';
import { S3Remote } from '../src/storage/block/s3/index.js';
import type { BlockStore, DurabilityMode } from '../src/storage/block/store.js';
import { startS3rver, type TestS3 } from '../test/support/s3rver.js';

const { values: args } = parseArgs({
  options: { mib: { type: 'string', default: '256' }, io: { type: 'string', default: '1024' } },
});
const TOTAL = Number(args.mib) * 1024 * 1024;
const IO = Number(args.io) * 1024;
const data = randomBytes(TOTAL);

function mbps(bytes: number, ms: number): string {
  return (bytes / 1e6 / (ms / 1000)).toFixed(1);
}

async function writeAll(store: BlockStore, id: string): Promise<number> {
  const t0 = performance.now();
  for (let off = 0; off < TOTAL; off += IO) await store.write(id, off, data.subarray(off, Math.min(TOTAL, off + IO)));
  await store.commit(id);
  return performance.now() - t0;
}

async function readAll(store: BlockStore, id: string): Promise<number> {
  const t0 = performance.now();
  for (let off = 0; off < TOTAL; off += IO) {
    const got = await store.read(id, off, Math.min(IO, TOTAL - off));
    if (!got.equals(data.subarray(off, off + got.length))) throw new Error(`mismatch at ${off}`);
  }
  return performance.now() - t0;
}

const rows: { store: string; write?: string; read?: string }[] = [];
const base = await mkdtemp(join(tmpdir(), 'dfs-bench-blocks-'));
let s3: TestS3 | undefined;
try {
  {
    const s = new FsBlockStore({ root: join(base, 'fs') });
    await s.open();
    const w = await writeAll(s, 'f');
    const r = await readAll(s, 'f');
    rows.push({ store: 'fs (file per content), commit=fdatasync', write: mbps(TOTAL, w), read: mbps(TOTAL, r) });
    await s.close();
  }
  {
    const s = new ChunkedBlockStore({
      dir: join(base, 'chunked'),
      local: new FsLocalTier(join(base, 'chunked', 'local')),
    });
    await s.open();
    const w = await writeAll(s, 'f');
    const r = await readAll(s, 'f');
    rows.push({ store: 'chunked fs, local-durable', write: mbps(TOTAL, w), read: mbps(TOTAL, r) });
    await s.close();
  }
  s3 = await startS3rver('bench');
  const env = s3;
  const s3Store = (dir: string, durability: DurabilityMode): ChunkedBlockStore =>
    new ChunkedBlockStore({
      dir,
      local: new FsLocalTier(join(dir, 'local')),
      remote: new S3Remote({
        bucket: env.bucket,
        endpoint: env.endpoint,
        prefix: `${durability}/`,
        forcePathStyle: true,
        credentials: env.credentials,
      }),
      durability,
    });
  for (const mode of ['local-durable', 'remote'] as const) {
    const dir = join(base, `s3-${mode}`);
    let s = s3Store(dir, mode);
    await s.open();
    const w = await writeAll(s, 'f');
    rows.push({ store: `chunked fs + S3, ${mode} (write incl. commit)`, write: mbps(TOTAL, w) });
    await s.drainUploads(600_000);
    await s.close();
    if (mode !== 'remote') continue;
    await rm(join(dir, 'local'), { recursive: true, force: true });
    s = s3Store(dir, mode);
    await s.open();
    const cold = await readAll(s, 'f');
    rows.push({ store: 'chunked fs + S3, cold read (local tier emptied)', read: mbps(TOTAL, cold) });
    const warm = await readAll(s, 'f');
    rows.push({ store: 'chunked fs + S3, warm read (local tier + cache)', read: mbps(TOTAL, warm) });
    await s.close();
    s = s3Store(dir, mode);
    await s.open();
    const local = await readAll(s, 'f');
    rows.push({ store: 'chunked fs + S3, reopened: local tier warm, cache cold', read: mbps(TOTAL, local) });
    await s.close();
  }
} finally {
  await s3?.close();
  await rm(base, { recursive: true, force: true });
}

process.stdout.write(`Sequential I/O, ${TOTAL / 1024 / 1024} MiB in ${IO / 1024} KiB requests (MB/s)\n\n`);
process.stdout.write('| store | write | read |\n|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.store} | ${r.write ?? ''} | ${r.read ?? ''} |\n`);
