// Starts the real `dfs start` CLI for end-to-end tests, on a private port with
// a throwaway data directory and config file, and stops it afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort, startProcess, waitForPort } from './process.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DfsOptions {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Listen address; default 127.0.0.1 (what slirp guests reach as 10.0.2.2). */
  host?: string;
  /**
   * YAML config keys (see src/controlplane/config.ts), merged over
   * `{ host, port, logLevel }`. Without `shares` the server's default applies.
   */
  config?: Record<string, unknown>;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** Run inside this network namespace (scripts/e2e/netns.sh); needs root. */
  netns?: string;
  /** Default 20 s. */
  startTimeoutMs?: number;
  /**
   * Use this directory (config.yaml and data/ inside) instead of a fresh one,
   * and keep it on stop(): restart tests start a second server on the same
   * data. The caller removes it.
   */
  dataDir?: string;
}

export interface DfsServer {
  readonly port: number;
  readonly host: string;
  readonly pid: number;
  /** Holds config.yaml and the server's --data-dir (data/); removed by stop() unless given in the options. */
  readonly dataDir: string;
  /** Everything the server printed so far (last 8 MiB). */
  logs(): string;
  /** Sends `signal` (default SIGTERM), waits, removes the data dir; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return newest;
}

/**
 * How to run the CLI: the compiled dist/ when it is at least as new as every
 * source file (what `npm test` builds first), otherwise the TypeScript source
 * through tsx, so a plain `npx vitest run --project e2e` never tests stale
 * code. DFS_E2E_RUNNER=dist|tsx forces one.
 */
export async function dfsCommand(): Promise<string[]> {
  const dist = join(REPO_ROOT, 'dist', 'cli', 'dfs.js');
  const tsx = ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'dfs.ts')];
  const forced = process.env.DFS_E2E_RUNNER;
  if (forced === 'tsx') return tsx;
  if (forced === 'dist') return [dist];
  try {
    const built = (await stat(dist)).mtimeMs;
    if (built >= (await newestMtime(join(REPO_ROOT, 'src')))) return [dist];
  } catch {
    // no build yet
  }
  return tsx;
}

function listeningInNetns(netns: string, port: number): boolean {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'ss', '-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

export async function startDfs(opts: DfsOptions = {}): Promise<DfsServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'dfs-e2e-')));
  const configPath = join(dataDir, 'config.yaml');
  // api.port 0: several servers run at once, and the control-plane API must not collide on 12080.
  const config = {
    logLevel: process.env.DFS_E2E_LOG_LEVEL ?? 'info',
    api: { port: 0 },
    ...opts.config,
    host,
    port,
  };
  await writeFile(configPath, stringify(config));

  const node = [...(await dfsCommand()), 'start', '--config', configPath, '--data-dir', join(dataDir, 'data')];
  const [cmd, args] = opts.netns
    ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...node]]
    : [process.execPath, node];
  const proc = startProcess(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...opts.env } });

  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  try {
    if (opts.netns) {
      const deadline = Date.now() + timeoutMs;
      while (!listeningInNetns(opts.netns, port)) {
        if (proc.exited()) throw new Error('dfs exited before listening');
        if (Date.now() > deadline) throw new Error(`dfs did not listen on port ${port} in ${opts.netns}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } else {
      await waitForPort(host, port, timeoutMs, () => !proc.exited());
      // The control-plane API starts listening after NFS: a test that names
      // its API port gets a server whose API answers too.
      const api = config.api as { enabled?: boolean; host?: string; port?: number } | undefined;
      if (api && api.enabled !== false && typeof api.port === 'number' && api.port > 0) {
        await waitForPort(api.host ?? '127.0.0.1', api.port, timeoutMs, () => !proc.exited());
      }
    }
  } catch (e) {
    await proc.stop('SIGKILL');
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n--- dfs output ---\n${proc.log.text()}`);
  }

  return {
    port,
    host,
    pid: proc.pid,
    dataDir,
    logs: () => proc.log.text(),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const code = await proc.stop(signal);
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
