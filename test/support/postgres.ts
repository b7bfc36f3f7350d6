// A throwaway PostgreSQL cluster for tests (TESTING.md "PostgreSQL 15"):
// initdb into a temp dir, postgres on a private 127.0.0.1 port with its unix
// socket inside that dir, trust auth, fsync off; stop() shuts it down and
// deletes everything. Usable from a test file's beforeAll or from a vitest
// globalSetup (it keeps no module state).
//
// initdb and postgres refuse to run as root, and CI runs tests as root: then
// both run as the `postgres` user the Debian package creates (or `nobody`),
// in a data dir owned by that user.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  /** A connection string for the `postgres` database as the `postgres` superuser. */
  url: string;
  port: number;
  /** Fast shutdown, then remove the data directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The bin directory of the newest installed PostgreSQL (Debian layout
 * /usr/lib/postgresql/N/bin), or $DFS_PG_BIN; undefined when none is found.
 */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env.DFS_PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  let versions: string[];
  try {
    versions = readdirSync('/usr/lib/postgresql');
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join('/usr/lib/postgresql', v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

/**
 * Why the PostgreSQL tests cannot run here, or undefined when they can. With
 * DFS_REQUIRE_E2E=1 (CI) a missing server is an error, not a skip.
 */
export function postgresUnavailable(): string | undefined {
  if (findPostgresBin() !== undefined) return undefined;
  const reason =
    'PostgreSQL binaries not found in /usr/lib/postgresql/*/bin (apt-get install -y postgresql, or set DFS_PG_BIN)';
  if (process.env.DFS_REQUIRE_E2E === '1') throw new Error(`DFS_REQUIRE_E2E=1: ${reason}`);
  return reason;
}

/** uid/gid to run the server as: ourselves unless root, then `postgres` (or `nobody`). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.find((l) => l.startsWith(`${name}:`));
    if (line === undefined) continue;
    const f = line.split(':');
    return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function run(
  cmd: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
  logFd: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], ...user, env: { ...process.env, LC_ALL: 'C' } });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code ?? signal}`)),
    );
  });
}

async function waitReady(url: string, server: ChildProcess, deadline: number): Promise<void> {
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error('postgres exited during start-up');
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    } finally {
      await c.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

export interface StartPostgresOptions {
  /**
   * Keep fsync and synchronous commit on, as a production server runs
   * (benchmarks). Tests leave it off: a crashed test cluster is thrown away.
   */
  durable?: boolean;
}

/** initdb + postgres on a free port; resolves once it accepts connections. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error(postgresUnavailable() ?? 'PostgreSQL binaries not found');
  const user = serverUser();
  const root = await mkdtemp(join(tmpdir(), 'dfs-pg-'));
  const data = join(root, 'data');
  const sock = join(root, 'sock');
  const log = join(root, 'postgres.log');
  await mkdir(data, { mode: 0o700 });
  await mkdir(sock, { mode: 0o700 });
  const logFile = await open(log, 'a');
  if (user !== undefined) {
    for (const p of [root, data, sock, log]) await chown(p, user.uid, user.gid);
  }
  const cleanup = async (): Promise<void> => {
    await logFile.close().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  const logTail = async (): Promise<string> => (await readFile(log, 'utf8').catch(() => '')).slice(-2000);

  try {
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      user,
      logFile.fd,
    );
  } catch (err) {
    const tail = await logTail();
    await cleanup();
    throw new Error(`initdb failed: ${(err as Error).message}\n${tail}`);
  }

  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const server = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        sock,
        '-c',
        'listen_addresses=127.0.0.1',
        // Test speed: a crashed test cluster is thrown away, never recovered.
        ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
        '-c',
        'max_connections=200',
        // Deadlocks between conflicting updates are then found in 0.1 s instead of 1 s (the default).
        '-c',
        'deadlock_timeout=100ms',
        // Conflict-heavy SERIALIZABLE tests take many predicate locks.
        '-c',
        'max_pred_locks_per_transaction=256',
      ],
      { stdio: ['ignore', logFile.fd, logFile.fd], ...user, env: { ...process.env, LC_ALL: 'C' } },
    );
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitReady(url, server, Date.now() + 30_000);
    } catch (err) {
      server.kill('SIGKILL');
      await exited(server);
      if (attempt < 2) continue;
      const tail = await logTail();
      await cleanup();
      throw new Error(`postgres did not start: ${(err as Error).message}\n${tail}`);
    }
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      stop: () => {
        stopping ??= (async () => {
          // SIGINT = "fast shutdown": aborts sessions, checkpoints, exits.
          server.kill('SIGINT');
          const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
          await exited(server);
          clearTimeout(timer);
          await cleanup();
        })();
        return stopping;
      },
    };
  }
}
