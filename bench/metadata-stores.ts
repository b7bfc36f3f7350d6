/**
 * Metadata-store figures for the issue note: creates/s, lookups/s and the
 * time to list a directory of 100,000 entries by cookie pages, for each store.
 *
 *   npx tsx bench/metadata-stores.ts [--creates N] [--lookups N] [--entries N]
 *
 * A "create" is the store side of an NFS CREATE as core/vfs does it: one
 * update that allocates an id, writes the inode, bumps the directory's
 * nextCookie and adds the entry. Creates run one at a time (latency bound:
 * each waits for its commit to be durable) and 64 at a time (how a busy
 * server drives the store). A "lookup" is one view with lookup + getInode.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT_ID, type FileId, type Inode } from '../src/core/types.js';
import { sampleInode } from '../src/storage/metadata/conformance.js';
import { LmdbMetadataStore } from '../src/storage/metadata/lmdb/index.js';
import { MemoryMetadataStore } from '../src/storage/metadata/memory/index.js';
import type { MetadataStore } from '../src/storage/metadata/store.js';
import { PostgresMetadataStore } from '../src/storage/metadata/postgres/index.js';
import { findPostgresBin, startPostgres } from '../test/support/postgres.js';

const { values: args } = parseArgs({
  options: {
    creates: { type: 'string', default: '5000' },
    lookups: { type: 'string', default: '100000' },
    entries: { type: 'string', default: '100000' },
  },
});
const CREATES = Number(args.creates);
const LOOKUPS = Number(args.lookups);
const ENTRIES = Number(args.entries);
const PAGE = 1024;
const CONCURRENCY = 64;

const rootInode: Inode = sampleInode(ROOT_ID, { type: 'dir', nlink: 2, nextCookie: 3, parent: ROOT_ID });

async function create(store: MetadataStore, dir: FileId, name: string): Promise<void> {
  await store.update(async (tx) => {
    if ((await tx.lookup(dir, name)) !== undefined) throw new Error('exists');
    const d = (await tx.getInode(dir))!;
    const id = await tx.allocateId();
    await tx.putInode(sampleInode(id));
    await tx.putInode({ ...d, nextCookie: d.nextCookie! + 1, change: d.change + 1 });
    await tx.addEntry(dir, name, id, d.nextCookie!);
  });
}

async function mkdir(store: MetadataStore): Promise<FileId> {
  return store.update(async (tx) => {
    const id = await tx.allocateId();
    await tx.putInode(sampleInode(id, { type: 'dir', nlink: 2, nextCookie: 3, parent: ROOT_ID }));
    return id;
  });
}

function rate(n: number, ms: number): string {
  return `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
}

async function measure(label: string, store: MetadataStore): Promise<Record<string, string>> {
  await store.open({ rootInode });

  const seqDir = await mkdir(store);
  let t = performance.now();
  for (let i = 0; i < CREATES; i++) await create(store, seqDir, `s${i}`);
  const seq = rate(CREATES, performance.now() - t);

  const parDir = await mkdir(store);
  t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CREATES) await create(store, parDir, `p${next++}`);
    }),
  );
  const par = rate(CREATES, performance.now() - t);

  t = performance.now();
  for (let i = 0; i < LOOKUPS; i++) {
    const name = `s${(i * 7919) % CREATES}`;
    await store.view(async (tx) => {
      const e = await tx.lookup(seqDir, name);
      if (e === undefined || (await tx.getInode(e.id)) === undefined) throw new Error(`lost ${name}`);
    });
  }
  const lookups = rate(LOOKUPS, performance.now() - t);

  // The big directory is filled in batches (not what is measured), then listed by cookie pages.
  const big = await mkdir(store);
  for (let base = 0; base < ENTRIES; base += 10_000) {
    await store.update(async (tx) => {
      for (let i = base; i < Math.min(ENTRIES, base + 10_000); i++) await tx.addEntry(big, `e${i}`, 1e9 + i, 3 + i);
    });
  }
  t = performance.now();
  let cookie = 0;
  let listed = 0;
  for (;;) {
    const page = await store.view((tx) => tx.readdir(big, cookie, PAGE));
    if (page.length === 0) break;
    listed += page.length;
    cookie = page[page.length - 1].cookie;
  }
  const listMs = performance.now() - t;
  if (listed !== ENTRIES) throw new Error(`listed ${listed} of ${ENTRIES}`);
  await store.close();
  return {
    store: label,
    'creates/s (1 at a time)': seq,
    [`creates/s (${CONCURRENCY} in flight)`]: par,
    'lookups/s': lookups,
    [`list ${ENTRIES.toLocaleString('en-US')} (pages of ${PAGE})`]: `${Math.round(listMs)} ms`,
  };
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'dfs-bench-meta-'));
  try {
    const rows = [
      await measure('memory', new MemoryMetadataStore()),
      await measure('lmdb (durable)', new LmdbMetadataStore({ path: join(tmp, 'durable') })),
      await measure('lmdb (noSync)', new LmdbMetadataStore({ path: join(tmp, 'nosync'), noSync: true })),
    ];
    rows.push(...(await measurePostgres()));
    console.log(`creates=${CREATES} lookups=${LOOKUPS} entries=${ENTRIES}`);
    console.table(rows);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * PostgreSQL rows: against $DFS_BENCH_PG_URL when set (a real server; each
 * run uses a fresh share key), else against throwaway local clusters, one
 * durable (fsync and synchronous commit on) and one with fsync off. Skipped,
 * with a note, when no PostgreSQL is installed.
 */
async function measurePostgres(): Promise<Record<string, string>[]> {
  const share = `bench-${process.pid}-${Date.now()}`;
  const url = process.env.DFS_BENCH_PG_URL;
  if (url) return [await measure('postgres', new PostgresMetadataStore({ connectionString: url, share }))];
  if (findPostgresBin() === undefined) {
    console.log('postgres: skipped (no PostgreSQL binaries; apt-get install postgresql or set DFS_BENCH_PG_URL)');
    return [];
  }
  const rows: Record<string, string>[] = [];
  for (const durable of [true, false]) {
    const pg = await startPostgres({ durable });
    try {
      const label = durable ? 'postgres (durable)' : 'postgres (fsync off)';
      rows.push(await measure(label, new PostgresMetadataStore({ connectionString: pg.url, share })));
    } finally {
      await pg.stop();
    }
  }
  return rows;
}

await main();
