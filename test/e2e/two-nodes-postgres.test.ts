// Two `dfs` processes, one share (issue 3): both servers keep the share's
// metadata in one PostgreSQL database and its content in one block
// directory. What one server creates, renames or removes, the other sees at
// once, with the same file handles (handles encode the share id, derived
// from the share's name, and the inode id and generation, kept in PostgreSQL).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { MountTestClient, Nfs3TestClient } from '../protocol/helpers/nfs3-client.js';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../support/postgres.js';
import { describeE2e } from './requirements.js';
import { startDfs, type DfsServer } from './server.js';

const SHARE = '/shared';
const NFS3ERR_NOENT = 2;
const NFS3ERR_STALE = 70;
const FILE_SYNC = 2;

const unavailable = postgresUnavailable();

describeE2e('two dfs servers on one PostgreSQL database serve the same share', unavailable ? [unavailable] : [], () => {
  let pg: RunningPostgres;
  let blocksDir: string;
  const servers: DfsServer[] = [];
  const rpcs: RpcClient[] = [];
  let a: Nfs3TestClient;
  let b: Nfs3TestClient;
  let rootA: Buffer;
  let rootB: Buffer;

  async function node(): Promise<{ nfs: Nfs3TestClient; root: Buffer }> {
    const server = await startDfs({
      config: {
        shares: [
          {
            name: SHARE,
            metadata: { type: 'postgres', url: pg.url },
            blocks: { type: 'fs', path: blocksDir },
            rootSquash: false,
          },
        ],
      },
    });
    servers.push(server);
    const rpc = await RpcClient.connect('127.0.0.1', server.port);
    rpcs.push(rpc);
    const mnt = await new MountTestClient(rpc).mnt(SHARE);
    expect(mnt.status).toBe(0);
    return { nfs: new Nfs3TestClient(rpc), root: mnt.fh! };
  }

  beforeAll(async () => {
    pg = await startPostgres();
    blocksDir = await mkdtemp(join(tmpdir(), 'dfs-two-nodes-blocks-'));
    ({ nfs: a, root: rootA } = await node());
    ({ nfs: b, root: rootB } = await node());
  }, 120_000);

  afterAll(async () => {
    await Promise.all(rpcs.map((r) => r.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await pg?.stop();
    if (blocksDir) await rm(blocksDir, { recursive: true, force: true });
  });

  it('both servers hand out the same root handle', () => {
    expect(rootB.equals(rootA)).toBe(true);
  });

  it('a file created and written through one is stat-ed and read through the other', async () => {
    const data = randomBytes(200_000);
    const created = await a.create(rootA, 'hello.bin', { mode: 'guarded', set: { mode: 0o644 } });
    expect(created.status).toBe(0);
    const w = await a.write(created.fh!, 0, data, FILE_SYNC);
    expect(w).toMatchObject({ status: 0, count: data.length });

    const found = await b.lookup(rootB, 'hello.bin');
    expect(found.status).toBe(0);
    expect(found.fh!.equals(created.fh!)).toBe(true);
    const attr = await b.getattr(found.fh!);
    expect(attr.attr).toMatchObject({ size: data.length, mode: 0o644 });
    const r = await b.read(found.fh!, 0, data.length);
    expect(r.status).toBe(0);
    expect(r.data!.equals(data)).toBe(true);
  });

  it('a rename through one is seen by the other, and a removal makes the other\'s handle STALE', async () => {
    const dir = await b.mkdir(rootB, 'dir', { mode: 0o755 });
    expect(dir.status).toBe(0);
    expect((await b.rename(rootB, 'hello.bin', dir.fh!, 'moved.bin')).status).toBe(0);

    expect((await a.lookup(rootA, 'hello.bin')).status).toBe(NFS3ERR_NOENT);
    const moved = await a.lookup(dir.fh!, 'moved.bin');
    expect(moved.status).toBe(0);

    expect((await b.remove(dir.fh!, 'moved.bin')).status).toBe(0);
    expect((await a.getattr(moved.fh!)).status).toBe(NFS3ERR_STALE);
  });
});
