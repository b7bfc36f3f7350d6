// dfsctl against a live server (in-process, listening on a free port): the
// commands an operator runs, through the real CLI process.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../controlplane/config.js';
import { startServer, type DittoServer } from '../../controlplane/server.js';
import { dfsCommand } from '../../../test/e2e/server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Each command is a new process: generous timeouts for a loaded 2-core machine.
describe('dfsctl against a live server', { timeout: 120_000 }, () => {
  let server: DittoServer;
  /** dist/cli/dfsctl.js when the build is fresh, else the source through tsx (as the e2e suites do). */
  let command: string[];
  let dir: string;
  let url: string;

  const dfsctl = (args: string[], stdin?: string, env: Record<string, string> = {}): Promise<Run> =>
    new Promise((done) => {
      const child = execFile(
        process.execPath,
        [...command, ...args],
        {
          cwd: ROOT,
          env: { ...process.env, DFSCTL_CONFIG: join(dir, 'ctl', 'dfsctl.json'), DFSCTL_PASSWORD: '', ...env },
        },
        (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(stdin ?? '');
    });

  beforeAll(async () => {
    command = (await dfsCommand()).map((a) => a.replace(/dfs\.(ts|js)$/, 'dfsctl.$1'));
    dir = await mkdtemp(join(tmpdir(), 'dfsctl-'));
    const config = parseConfig(
      {
        host: '127.0.0.1',
        port: 0,
        logLevel: 'silent',
        shares: [{ name: '/export', metadata: 'memory', blocks: 'memory' }],
        api: { port: 0 },
        database: { path: ':memory:' },
      },
      { dataDir: dir },
    );
    server = await startServer(config, { adminPassword: 'bootstrap-pw' });
    url = `http://127.0.0.1:${server.apiPort}`;
  });
  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says how to reach the server when nothing listens', async () => {
    const r = await dfsctl(['--server', 'http://127.0.0.1:1', 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the DittoFS API at http:\/\/127\.0\.0\.1:1 .*dfs start/);
  });

  it('logs in (token file mode 0600), is told to change the password, changes it', async () => {
    const bad = await dfsctl(['--server', url, 'login', '--password-stdin'], 'wrong-pw\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/wrong user name or password \[INVALID_CREDENTIALS\]/);
    const r = await dfsctl(['--server', url, 'login', '--user', 'admin', '--password-stdin'], 'bootstrap-pw\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/must change your password.*dfsctl passwd/);
    expect((await stat(join(dir, 'ctl', 'dfsctl.json'))).mode & 0o777).toBe(0o600);
    const blocked = await dfsctl(['user', 'list']);
    expect(blocked.stderr).toMatch(/PASSWORD_CHANGE_REQUIRED/);
    expect((await dfsctl(['passwd', '--password-stdin'], 'bootstrap-pw\nnew-admin-pw\n')).code).toBe(0);
  });

  it('creates stores and a share, grants a permission, and lists them as table, json and yaml', async () => {
    expect((await dfsctl(['store', 'create', 'metadata', 'm1', '--type', 'memory'])).code).toBe(0);
    expect((await dfsctl(['store', 'create', 'block', 'b1', '--type', 'memory'])).code).toBe(0);
    const made = await dfsctl(['share', 'create', '/team', '--metadata', 'm1', '--blocks', 'b1', '--read-only']);
    expect(made.code).toBe(0);
    expect(server.runtime.shares.byName('/team')?.options.readOnly).toBe(true);
    expect((await dfsctl(['user', 'create', 'alice', '--uid', '1000', '--password-stdin'], 'alice-pw-1\n')).code).toBe(
      0,
    );
    expect((await dfsctl(['permission', 'grant', '/team', 'read', '--user', 'alice'])).code).toBe(0);
    expect((await dfsctl(['share', 'update', '/team', '--read-write', '--no-root-squash'])).code).toBe(0);
    expect(server.runtime.shares.byName('/team')?.options).toMatchObject({
      readOnly: false,
      rootSquash: false,
      allSquash: false,
    });
    expect((await dfsctl(['share', 'update', '/team', '--read-only'])).code).toBe(0);
    expect(server.runtime.shares.byName('/team')?.options).toMatchObject({ readOnly: true, rootSquash: false });
    const table = await dfsctl(['share', 'list']);
    expect(table.stdout).toMatch(/\/team\s.*api.*ro/);
    const json = JSON.parse((await dfsctl(['-o', 'json', 'permission', 'list', '/team'])).stdout);
    expect(json).toEqual([{ share: '/team', kind: 'user', principal: 'alice', level: 'read' }]);
    expect((await dfsctl(['-o', 'yaml', 'user', 'show', 'alice'])).stdout).toMatch(/^name: alice$/m);
  });

  it('creates a tiered share with a durability mode; a live durability change is refused', async () => {
    expect((await dfsctl(['store', 'create', 'metadata', 'lm', '--type', 'lmdb'])).code).toBe(0);
    const tier = await dfsctl([
      'store',
      'create',
      'block',
      'tier',
      '--type',
      'tiered',
      '--chunk-size',
      '64k',
      '--local-budget',
      '8MiB',
    ]);
    expect(tier.code, tier.stderr).toBe(0);
    expect(tier.stdout).toMatch(/tier\s.*tiered.*chunk=65536 budget=8388608/);
    const made = await dfsctl([
      'share',
      'create',
      '/fast',
      '--metadata',
      'lm',
      '--blocks',
      'tier',
      '--durability',
      'writeback',
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/\/fast\s.*writeback/);
    const rec = await server.controlPlane.store.getShare('/fast');
    const sc = await server.controlPlane.shareConfigOf(rec!);
    expect(sc).toMatchObject({ durability: 'writeback', blocks: { type: 'tiered', chunkSize: 65536 } });
    expect(server.runtime.shares.byName('/fast')).toBeDefined();
    const shown = JSON.parse((await dfsctl(['-o', 'json', 'share', 'show', '/fast'])).stdout);
    expect(shown.options.durability).toBe('writeback');
    const live = await dfsctl(['share', 'update', '/fast', '--durability', 'local-durable']);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/create it again.*\[SHARE_REEXPORT_REQUIRED\]/);
    const remote = await dfsctl(['share', 'update', '/fast', '--durability', 'remote']);
    expect(remote.stderr).toMatch(/durability: remote needs a block store of type s3.*\[VALIDATION_FAILED\]/);
    const memMeta = await dfsctl(['share', 'create', '/slow', '--metadata', 'm1', '--blocks', 'tier']);
    expect(memMeta.stderr).toMatch(/needs persistent metadata.*\[VALIDATION_FAILED\]/);
  });

  it('creates an s3 store with the secret from the environment or stdin and never prints it', async () => {
    const args = ['--type', 's3', '--bucket', 'bk', '--endpoint', 'http://127.0.0.1:1', '--path-style'];
    const fromEnv = await dfsctl(['store', 'create', 'block', 's3a', ...args, '--access-key-id', 'AKID'], '', {
      DFSCTL_S3_SECRET_ACCESS_KEY: 'env-secret-123',
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toMatch(/secretAccessKey=\*\*\*/);
    expect(fromEnv.stdout).not.toContain('env-secret-123');
    const fromStdin = await dfsctl(
      ['store', 'create', 'block', 's3b', ...args, '--access-key-id', 'AKID', '--secret-access-key-stdin'],
      'stdin-secret-456\n',
    );
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect((await server.controlPlane.store.getStore('block', 's3b'))?.settings?.s3?.secretAccessKey).toBe(
      'stdin-secret-456',
    );
    const yaml = (await dfsctl(['-o', 'yaml', 'store', 'list', 'block'])).stdout;
    expect(yaml).toMatch(/secretAccessKey: "\*\*\*"/);
    expect(yaml).not.toMatch(/env-secret-123|stdin-secret-456/);
  });

  it('reports API errors with the code and a hint, and bad arguments before calling', async () => {
    const inUse = await dfsctl(['store', 'delete', 'block', 'b1']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/used by share\(s\) \/team.*\[STORE_IN_USE\]/);
    const badLevel = await dfsctl(['permission', 'grant', '/team', 'everything', '--user', 'alice']);
    expect(badLevel.code).not.toBe(0);
    expect(badLevel.stderr).toMatch(/must be one of none, read, read-write, admin/);
    expect((await dfsctl(['share', 'delete', '/team'])).code).toBe(0);
    expect(server.runtime.shares.byName('/team')).toBeUndefined();
  });

  it('adapters, status, contexts and completion', async () => {
    expect((await dfsctl(['adapter', 'disable', 'nfs'])).stdout).toMatch(/nfs\s.*no/);
    expect(server.runtime.nfsListening).toBe(false);
    expect((await dfsctl(['adapter', 'set-port', 'nfs', '0'])).code).toBe(0);
    expect((await dfsctl(['adapter', 'enable', 'nfs'])).code).toBe(0);
    expect(server.runtime.nfsListening).toBe(true);
    const status = JSON.parse((await dfsctl(['-o', 'json', 'status'])).stdout);
    expect(status.nfs.listening).toBe(true);
    const ctx = await dfsctl(['context', 'list']);
    expect(ctx.stdout).toMatch(/\*.*default.*127\.0\.0\.1.*admin.*yes/);
    expect((await dfsctl(['context', 'use', 'elsewhere'])).stderr).toMatch(/no context elsewhere/);
    const bash = await dfsctl(['completion', 'bash']);
    expect(bash.stdout).toMatch(/complete -F _dfsctl dfsctl/);
    expect(bash.stdout).toMatch(/"share"\) words="list show create update delete/);
  });
});
