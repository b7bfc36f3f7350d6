/**
 * Starts the built `dfs start` (dist/) on a private port with one share, so
 * that its CPU and memory are its own: one process per block-store kind.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort, startProcess, waitForPort } from '../../test/e2e/process.js';
import type { BenchServer } from './types.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const DFS_ENTRY = join(REPO_ROOT, 'dist', 'cli', 'dfs.js');

export interface DittofsOptions {
  label: string;
  /** "fs": content in files under the temp dir, fdatasync on stable WRITE and COMMIT; "memory": no disk at all. */
  blocks: 'fs' | 'memory';
  /** "lmdb": the embedded on-disk store (the server's default, durable); "memory": nothing on disk. */
  metadata: 'lmdb' | 'memory';
  /** Parent of the server's temporary directory. */
  baseDir: string;
  /** Write a V8 CPU profile (node --cpu-prof) into this directory when the server stops. */
  cpuProfileDir?: string;
}

export const DFS_EXPORT = '/bench';

export async function startDittofs(opts: DittofsOptions): Promise<BenchServer> {
  const dir = await mkdtemp(join(opts.baseDir, `${opts.label}-`));
  const dataDir = join(dir, 'data');
  const blocksDir = join(dir, 'blocks');
  await mkdir(blocksDir);
  const port = await freePort();
  const config = {
    host: '127.0.0.1',
    port,
    logLevel: 'warn',
    dataDir,
    // No control-plane API: two DittoFS servers run at once, and the bench needs only NFS.
    api: { enabled: false },
    shares: [
      {
        name: DFS_EXPORT,
        metadata: opts.metadata === 'lmdb' ? { type: 'lmdb', path: join(dir, 'metadata') } : { type: 'memory' },
        blocks: opts.blocks === 'fs' ? { type: 'fs', path: blocksDir } : { type: 'memory' },
        // the bench client calls as root, as the kernel client does when root writes
        rootSquash: false,
      },
    ],
  };
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, stringify(config));
  const nodeFlags = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const proc = startProcess(process.execPath, [...nodeFlags, DFS_ENTRY, 'start', '--config', configPath], {
    cwd: REPO_ROOT,
  });
  try {
    await waitForPort('127.0.0.1', port, 20_000, () => !proc.exited());
  } catch (e) {
    await proc.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`dfs did not start: ${(e as Error).message}\n${proc.log.text()}`);
  }
  return {
    label: opts.label,
    host: '127.0.0.1',
    port,
    mountPort: port,
    exportPath: DFS_EXPORT,
    pid: proc.pid,
    dataDir: blocksDir,
    logs: async () => proc.log.text(),
    async stop() {
      // SIGTERM: dfs exits through process.exit(0), which is when --cpu-prof writes its file.
      await proc.stop('SIGTERM', 15_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
