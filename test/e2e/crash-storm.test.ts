// Crash storm against the real `dfs start` (default share: LMDB metadata +
// fs block store): several clients drive creates, writes, renames, links and
// removes over NFSv3 while the server is SIGKILLed at random moments, then
// restarted on the same port and data. After every restart, everything the
// server acknowledged as stable (FILE_SYNC writes, COMMITs) must read back
// byte for byte through the handles taken before the crash; at the end
// `dfs fsck --json` must find no error (issue 3: "the consistency checker
// finds nothing wrong"). Unreferenced content (a kill between a metadata
// commit and the content delete that follows it) is a warning, not an error.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { MountTestClient, Nfs3TestClient } from '../protocol/helpers/nfs3-client.js';
import { freePort } from './process.js';
import { dfsCommand, REPO_ROOT, startDfs, type DfsServer } from './server.js';

const SHARE = '/export';
const CYCLES = Number(process.env.DFS_CRASH_CYCLES ?? 6);
const WORKERS = 4;
const NFS3_OK = 0;
const UNSTABLE = 0;
const FILE_SYNC = 2;

interface Acked {
  name: string;
  fh: Buffer;
  sha: string;
  size: number;
  how: 'file_sync' | 'commit';
}

interface FsckJson {
  exitCode: number;
  shares: {
    share: string;
    status: string;
    report?: { found: { kind: string; severity: string }[]; stats: Record<string, number> };
  }[];
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function pick<T>(a: readonly T[]): T {
  return a[Math.floor(Math.random() * a.length)];
}

async function runFsck(dir: string, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const args = [
    ...(await dfsCommand()),
    'fsck',
    '--config',
    join(dir, 'config.yaml'),
    '--data-dir',
    join(dir, 'data'),
    ...extra,
  ];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function connect(port: number): Promise<{ rpc: RpcClient; nfs: Nfs3TestClient; root: Buffer }> {
  const rpc = await RpcClient.connect('127.0.0.1', port);
  const res = await new MountTestClient(rpc).mnt(SHARE);
  if (res.status !== 0 || !res.fh) throw new Error(`MNT ${SHARE}: ${res.status}`);
  return { rpc, nfs: new Nfs3TestClient(rpc), root: res.fh };
}

/** One client of the storm: random namespace operations until its connection dies. */
async function stormWorker(nfs: Nfs3TestClient, root: Buffer, stop: () => boolean): Promise<number> {
  const dirs = ['d0', 'd1', 'd2', 'd3'];
  const files = Array.from({ length: 12 }, (_, i) => `f${i}`);
  let ops = 0;
  const dirOf = async (): Promise<Buffer> => {
    const name = pick(dirs);
    const l = await nfs.lookup(root, name);
    if (l.status === NFS3_OK && l.fh) return l.fh;
    const m = await nfs.mkdir(root, name, { mode: 0o755 });
    return m.fh ?? root;
  };
  try {
    while (!stop()) {
      const d = Math.random() < 0.3 ? root : await dirOf();
      const name = pick(files);
      switch (Math.floor(Math.random() * 9)) {
        case 0:
        case 1: {
          const c = await nfs.create(d, name, { mode: 'unchecked', set: { mode: 0o644 } });
          if (c.fh)
            await nfs.write(c.fh, 0, randomBytes(1 + Math.floor(Math.random() * 32768)), pick([UNSTABLE, FILE_SYNC]));
          break;
        }
        case 2: {
          const l = await nfs.lookup(d, name);
          if (l.fh) await nfs.write(l.fh, Math.floor(Math.random() * 65536), randomBytes(4096), UNSTABLE);
          break;
        }
        case 3:
          await nfs.rename(d, name, await dirOf(), pick(files));
          break;
        case 4:
          await nfs.remove(d, name);
          break;
        case 5: {
          const l = await nfs.lookup(d, name);
          if (l.fh) await nfs.link(l.fh, await dirOf(), `${pick(files)}-l`);
          break;
        }
        case 6:
          await nfs.symlink(d, `${name}-s`, 'target');
          break;
        case 7:
          // Directories move too (into each other: the VFS must refuse cycles).
          await nfs.rename(root, pick(dirs), await dirOf(), pick(dirs));
          break;
        case 8: {
          const sub = await nfs.mkdir(d, `sub-${name}`);
          if (sub.fh) await nfs.rmdir(d, `sub-${name}`);
          break;
        }
      }
      ops++;
    }
  } catch {
    // The connection died with the server: this worker's storm is over.
  }
  return ops;
}

/** Writes files nobody else touches and records each once the server acknowledged it as stable. */
async function stableWriter(
  nfs: Nfs3TestClient,
  root: Buffer,
  cycle: number,
  acked: Acked[],
  stop: () => boolean,
): Promise<void> {
  try {
    const dir: Buffer | undefined =
      (await nfs.lookup(root, 'stable')).fh ?? (await nfs.mkdir(root, 'stable', { mode: 0o755 })).fh;
    if (!dir) return;
    for (let n = 0; !stop(); n++) {
      const name = `c${cycle}-${n}`;
      const c = await nfs.create(dir, name, { mode: 'guarded', set: { mode: 0o600 } });
      if (!c.fh) continue;
      const data = randomBytes(1 + Math.floor(Math.random() * 24_000));
      const how = n % 2 === 0 ? 'file_sync' : 'commit';
      const w = await nfs.write(c.fh, 0, data, how === 'file_sync' ? FILE_SYNC : UNSTABLE);
      if (w.status !== NFS3_OK) continue;
      if (how === 'commit') {
        const cm = await nfs.commit(c.fh);
        if (cm.status !== NFS3_OK) continue;
      } else if (w.committed !== FILE_SYNC) {
        continue;
      }
      acked.push({ name, fh: c.fh, sha: sha(data), size: data.length, how });
    }
  } catch {
    // server gone
  }
}

describe('crash storm: SIGKILL during creates, renames, links and removes (lmdb + fs)', () => {
  let dir: string;
  let port: number;
  let server: DfsServer | undefined;
  const acked: Acked[] = [];
  const recoveries: number[] = [];
  const lost: string[] = [];
  let totalOps = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-crash-'));
    port = await freePort();
    const config = { logLevel: 'warn', shares: [{ name: SHARE, rootSquash: false, rootMode: 0o777 }] };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const t0 = Date.now();
      server = await startDfs({ port, dataDir: dir, config });
      const { rpc, nfs, root } = await connect(port);
      recoveries.push(Date.now() - t0);
      // Everything acknowledged as stable before any earlier crash is still there, through the old handles.
      for (const a of acked) {
        const got = await nfs.read(a.fh, 0, a.size + 1);
        if (got.status !== NFS3_OK || !got.data || sha(got.data) !== a.sha || got.attr?.size !== a.size) {
          lost.push(`${a.name} (${a.how}, cycle ${cycle}): status ${got.status}, ${got.data?.length ?? 0} bytes`);
        }
      }
      let killed = false;
      const stop = () => killed;
      const storm = Promise.all([
        ...Array.from({ length: WORKERS }, () => stormWorker(nfs, root, stop)),
        stableWriter(nfs, root, cycle, acked, stop).then(() => 0),
      ]);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1500));
      killed = true;
      await server.stop('SIGKILL');
      server = undefined;
      totalOps += (await storm).reduce((a, b) => a + b, 0);
      await rpc.close().catch(() => undefined);
    }
  }, 180_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('the storm ran: operations were acknowledged in every cycle', () => {
    expect(totalOps).toBeGreaterThan(CYCLES * 10);
    expect(acked.length).toBeGreaterThan(CYCLES);
    console.info(
      `crash storm: ${CYCLES} SIGKILL cycles, ${totalOps} operations, ${acked.length} stable files; ` +
        `restart to first MNT reply: ${recoveries.join(', ')} ms`,
    );
  });

  it('everything acknowledged as stable survived every SIGKILL, readable through its old handle', () => {
    expect(lost).toEqual([]);
  });

  it('dfs fsck finds no error after the storm (unreferenced content is only a warning)', async () => {
    const { code, out, err } = await runFsck(dir, ['--json']);
    expect(err).toBe('');
    const doc = JSON.parse(out) as FsckJson;
    const share = doc.shares.find((s) => s.share === SHARE)!;
    const errors = share.report!.found.filter((p) => p.severity === 'error');
    expect(errors).toEqual([]);
    expect(share.status).toBe('clean');
    expect(code).toBe(0);
    const warnings = share.report!.found.length;
    console.info(
      `fsck after the storm: ${JSON.stringify(share.report!.stats)}, ${warnings} reclaimable content objects`,
    );
  });

  it('dfs fsck --repair reclaims the leftovers, and a second check is spotless', async () => {
    const repaired = await runFsck(dir, ['--repair']);
    expect(repaired.code, repaired.out + repaired.err).toBe(0);
    const again = JSON.parse((await runFsck(dir, ['--json'])).out) as FsckJson;
    expect(again.shares[0].report!.found).toEqual([]);
  });

  it('dfs fsck refuses a store that a running server holds (exit 2, says so)', async () => {
    server = await startDfs({
      port,
      dataDir: dir,
      config: { logLevel: 'warn', shares: [{ name: SHARE, rootSquash: false }] },
    });
    const r = await runFsck(dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/in use by process \d+.*stop it/);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = undefined;
  });
});
