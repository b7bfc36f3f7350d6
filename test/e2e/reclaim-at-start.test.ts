// Reclaim at start (issue 5): `dfs start` deletes, in the background, the
// content that a crash left unreferenced, for the fs and the tiered (chunked)
// block store. The server is SIGKILLed in the middle of writes and removes,
// orphaned content is added to each block store while it is down (what a kill
// between an unlink's commit and its content delete leaves), and after the
// restart: serving starts at once, the orphans go, and nothing that was
// acknowledged as stable, nor anything created while the reclaim runs, is lost.
// Opening a block store the server holds fails and names the server's pid.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { ChunkedBlockStore, FsLocalTier } from '../../src/storage/block/chunked/index.js';
import { FsBlockStore } from '../../src/storage/block/fs/index.js';
import type { BlockStore } from '../../src/storage/block/store.js';
import { MountTestClient, Nfs3TestClient } from '../protocol/helpers/nfs3-client.js';
import { freePort } from './process.js';
import { dfsCommand, REPO_ROOT, startDfs, type DfsServer } from './server.js';

const NFS3_OK = 0;
const UNSTABLE = 0;
const FILE_SYNC = 2;
const ORPHANS = 25;

interface Acked {
  share: string;
  name: string;
  fh: Buffer;
  sha: string;
  size: number;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function connect(port: number, share: string): Promise<{ rpc: RpcClient; nfs: Nfs3TestClient; root: Buffer }> {
  const rpc = await RpcClient.connect('127.0.0.1', port);
  const res = await new MountTestClient(rpc).mnt(share);
  if (res.status !== 0 || !res.fh) throw new Error(`MNT ${share}: ${res.status}`);
  return { rpc, nfs: new Nfs3TestClient(rpc), root: res.fh };
}

/** Files written FILE_SYNC, recorded once acknowledged; removes and unstable rewrites in between. */
async function writer(
  nfs: Nfs3TestClient,
  root: Buffer,
  share: string,
  prefix: string,
  acked: Acked[],
  stop: () => boolean,
): Promise<void> {
  try {
    for (let n = 0; !stop(); n++) {
      const name = `${prefix}-${n}`;
      const c = await nfs.create(root, name, { mode: 'guarded', set: { mode: 0o644 } });
      if (!c.fh) continue;
      const data = randomBytes(1 + Math.floor(Math.random() * 200_000));
      const w = await nfs.write(c.fh, 0, data, FILE_SYNC);
      if (w.status === NFS3_OK && w.committed === FILE_SYNC)
        acked.push({ share, name, fh: c.fh, sha: sha(data), size: data.length });
      // Churn: a file written and removed, so that a kill can fall between a remove's commit and its content delete.
      const t = await nfs.create(root, `${name}-tmp`, { mode: 'unchecked' });
      if (t.fh) await nfs.write(t.fh, 0, randomBytes(8192), UNSTABLE);
      await nfs.remove(root, `${name}-tmp`);
    }
  } catch {
    // The server was killed.
  }
}

async function fsckJson(dir: string): Promise<{ shares: { share: string; report?: { found: unknown[] } }[] }> {
  const args = [
    ...(await dfsCommand()),
    'fsck',
    '--json',
    '--config',
    join(dir, 'config.yaml'),
    '--data-dir',
    join(dir, 'data'),
  ];
  const out = await new Promise<string>((resolve) => {
    const p = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (c: Buffer) => (text += c.toString()));
    p.on('close', () => resolve(text));
  });
  return JSON.parse(out) as { shares: { share: string; report?: { found: unknown[] } }[] };
}

async function listIds(store: BlockStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of store.listContent!()) ids.push(id);
  return ids;
}

describe('reclaim of unreferenced content at start (lmdb + fs, lmdb + tiered)', () => {
  let dir: string;
  let port: number;
  let server: DfsServer | undefined;
  const fsBlocks = (): FsBlockStore => new FsBlockStore({ root: join(dir, 'fs-blocks') });
  const tieredBlocks = (): ChunkedBlockStore =>
    new ChunkedBlockStore({
      dir: join(dir, 'tiered-blocks'),
      local: new FsLocalTier(join(dir, 'tiered-blocks', 'local')),
      chunkSize: 64 * 1024,
      gcIntervalMs: 0,
    });
  const shares = [
    { name: '/fs', rootSquash: false, rootMode: 0o777, blocks: { type: 'fs', path: '' } },
    { name: '/tiered', rootSquash: false, rootMode: 0o777, blocks: { type: 'tiered', path: '', chunkSize: 65536 } },
  ];
  const acked: Acked[] = [];
  const planted: string[] = [];
  let reclaimLog: Record<string, unknown>[] = [];

  const start = (): Promise<DfsServer> => startDfs({ port, dataDir: dir, config: { logLevel: 'info', shares } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-reclaim-'));
    shares[0].blocks.path = join(dir, 'fs-blocks');
    shares[1].blocks.path = join(dir, 'tiered-blocks');
    port = await freePort();
    server = await start();
    let killed = false;
    const clients = await Promise.all(shares.map((s) => connect(port, s.name)));
    const writing = Promise.all(
      clients.map((c, i) => writer(c.nfs, c.root, shares[i].name, 'before', acked, () => killed)),
    );
    // Kill once both shares have acknowledged a few files, at a random moment of the churn.
    const enough = (share: string): boolean => acked.filter((a) => a.share === share).length >= 3;
    const deadline = Date.now() + 30_000;
    while (!(enough('/fs') && enough('/tiered')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, Math.random() * 300));
    killed = true;
    await server.stop('SIGKILL');
    server = undefined;
    await writing;
    await Promise.all(clients.map((c) => c.rpc.close().catch(() => undefined)));

    // The killed server's owner files are stale: the stores open, and get orphans.
    for (const store of [fsBlocks(), tieredBlocks()]) {
      await store.open();
      for (let i = 0; i < ORPHANS; i++) {
        const id = `77-${900_000 + i}-dead${i}`;
        await store.write(id, 0, randomBytes(70_000));
        await store.commit(id);
        planted.push(id);
      }
      await store.close();
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('the writers got acknowledgements on both shares before the kill', () => {
    expect(acked.filter((a) => a.share === '/fs').length).toBeGreaterThan(0);
    expect(acked.filter((a) => a.share === '/tiered').length).toBeGreaterThan(0);
  });

  it('after the restart, serves at once while reclaiming: acknowledged files intact, new files written meanwhile', async () => {
    server = await start();
    const clients = await Promise.all(shares.map((s) => connect(port, s.name)));
    let stop = false;
    const during: Acked[] = [];
    const writing = Promise.all(
      clients.map((c, i) => writer(c.nfs, c.root, shares[i].name, 'during', during, () => stop)),
    );
    for (const a of acked) {
      const c = clients[shares.findIndex((s) => s.name === a.share)];
      const got = await c.nfs.read(a.fh, 0, a.size + 1);
      expect(got.status, a.name).toBe(NFS3_OK);
      expect(got.attr?.size).toBe(a.size);
      expect(sha(got.data!), a.name).toBe(a.sha);
    }
    // Both shares log what their reclaim deleted.
    const deadline = Date.now() + 30_000;
    for (;;) {
      reclaimLog = server
        .logs()
        .split('\n')
        .filter((l) => l.includes('reclaimed content'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      if (reclaimLog.length >= 2 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await writing;
    console.info(
      `reclaim at start: ${reclaimLog.map((l) => `${String(l.share)} ${String(l.reclaimed)}/${String(l.listed)} ids in ${String(l.elapsedMs)} ms`).join(', ')}; ` +
        `${acked.length} files acknowledged before the kill, ${during.length} written during the reclaim`,
    );
    expect(reclaimLog.map((l) => l.share).sort()).toEqual(['/fs', '/tiered']);
    for (const l of reclaimLog) expect(l.reclaimed as number).toBeGreaterThanOrEqual(ORPHANS);
    expect(during.length).toBeGreaterThan(0);
    for (const a of during) {
      const c = clients[shares.findIndex((s) => s.name === a.share)];
      const got = await c.nfs.read(a.fh, 0, a.size + 1);
      expect(got.status, a.name).toBe(NFS3_OK);
      expect(sha(got.data!), a.name).toBe(a.sha);
    }
    await Promise.all(clients.map((c) => c.rpc.close()));
  }, 60_000);

  it('a block store the server holds refuses a second opener, naming the server', async () => {
    for (const store of [fsBlocks(), tieredBlocks()]) {
      await expect(store.open()).rejects.toThrow(`in use by process ${server!.pid}`);
      await store.close();
    }
  });

  it('after a clean stop the orphans are gone and every remaining content id is referenced', async () => {
    expect(await server!.stop('SIGTERM')).toBe(0);
    server = undefined;
    for (const store of [fsBlocks(), tieredBlocks()]) {
      await store.open();
      const ids = await listIds(store);
      await store.close();
      expect(ids.filter((id) => planted.includes(id))).toEqual([]);
      expect(ids.length).toBeGreaterThan(0);
    }
    const doc = await fsckJson(dir);
    for (const s of doc.shares) expect(s.report?.found, s.share).toEqual([]);
  });
});
