// Child-process plumbing shared by the e2e server launchers: free ports,
// waiting for a listener, bounded log capture, and stopping by pid.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { constants as osConstants } from 'node:os';

/** A port the kernel just handed out on 127.0.0.1 (free unless someone races us). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Resolves once host:port accepts a TCP connection. Rejects when `alive()`
 * turns false (the server exited) or after timeoutMs.
 */
export async function waitForPort(host: string, port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`process exited before ${host}:${port} accepted connections`);
    if (await tryConnect(host, port)) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not accept connections within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Keeps the last `limit` characters a child printed (stdout and stderr interleaved). */
export class LogTail {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly limit = 8 * 1024 * 1024) {}

  push(chunk: Buffer | string): void {
    const s = chunk.toString();
    this.chunks.push(s);
    this.size += s.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }

  text(): string {
    return this.chunks.join('');
  }
}

/** A started child whose output is captured; `stop` signals it and waits. */
export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly log: LogTail;
  exited(): boolean;
  /** Sends `signal`, waits up to graceMs, then SIGKILL. Resolves to the exit code (128+n when killed by signal n). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number>;
}

export function startProcess(cmd: string, args: string[], opts: SpawnOptions = {}): ManagedProcess {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = new LogTail();
  child.stdout?.on('data', (c: Buffer) => log.push(c));
  child.stderr?.on('data', (c: Buffer) => log.push(c));
  let code: number | undefined;
  const exit = new Promise<number>((resolve) => {
    child.once('exit', (c, sig) => {
      code = c ?? 128 + (sig ? (osConstants.signals[sig] ?? 0) : 0);
      resolve(code);
    });
    child.once('error', (err) => {
      log.push(`spawn ${cmd} failed: ${err.message}\n`);
      code = 127;
      resolve(code);
    });
  });
  if (child.pid === undefined) log.push(`spawn ${cmd}: no pid\n`);
  return {
    pid: child.pid ?? -1,
    child,
    log,
    exited: () => code !== undefined,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number> {
      if (code !== undefined) return code;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const c = await exit;
      clearTimeout(timer);
      return c;
    },
  };
}
