// dfsctl against an HTTPS API (self-signed certificate, in-process server):
// refused without the CA, working with --ca-cert (kept in the context), and
// --insecure only with a warning.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSignedCert, type TestCert } from '../../controlplane/api/test-tls.js';
import { parseConfig } from '../../controlplane/config.js';
import { startServer, type DittoServer } from '../../controlplane/server.js';
import { dfsCommand } from '../../../test/e2e/server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('dfsctl over HTTPS', { timeout: 120_000 }, () => {
  let server: DittoServer;
  let command: string[];
  let dir: string;
  let tls: TestCert;
  let url: string;
  const ctlFile = () => join(dir, 'ctl', 'dfsctl.json');

  const dfsctl = (args: string[], stdin?: string): Promise<Run> =>
    new Promise((done) => {
      const child = execFile(
        process.execPath,
        [...command, ...args],
        { cwd: ROOT, env: { ...process.env, DFSCTL_CONFIG: ctlFile(), DFSCTL_PASSWORD: '' } },
        (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(stdin ?? '');
    });

  beforeAll(async () => {
    command = (await dfsCommand()).map((a) => a.replace(/dfs\.(ts|js)$/, 'dfsctl.$1'));
    dir = await mkdtemp(join(tmpdir(), 'dfsctl-tls-'));
    tls = await makeSelfSignedCert(dir);
    const config = parseConfig(
      {
        host: '127.0.0.1',
        port: 0,
        logLevel: 'silent',
        shares: [{ name: '/export', metadata: 'memory', blocks: 'memory' }],
        api: { port: 0, tlsCert: tls.cert, tlsKey: tls.key },
        database: { path: ':memory:' },
      },
      { dataDir: dir },
    );
    server = await startServer(config, { adminPassword: 'bootstrap-pw' });
    url = `https://127.0.0.1:${server.apiPort}`;
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('without the CA certificate the login fails and says what to pass', async () => {
    const r = await dfsctl(['--server', url, 'login', '--password-stdin'], 'bootstrap-pw\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT/,
    );
    expect(r.stderr).toMatch(/--ca-cert FILE.*\[TLS_UNTRUSTED\]/);
  });

  it('with --ca-cert it logs in, keeps the CA in the context, and later commands use it', async () => {
    const r = await dfsctl(['--server', url, 'login', '--ca-cert', tls.cert, '--password-stdin'], 'bootstrap-pw\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const saved = JSON.parse(await readFile(ctlFile(), 'utf8')) as {
      contexts: Record<string, { server: string; caCert?: string }>;
    };
    expect(saved.contexts.default).toMatchObject({ server: url, caCert: tls.cert });
    expect((await dfsctl(['passwd', '--password-stdin'], 'bootstrap-pw\nnew-admin-pw\n')).code).toBe(0);
    const status = await dfsctl(['-o', 'json', 'status']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ nfs: { listening: true } });
  });

  it('plain http:// to the HTTPS port is told to use https://', async () => {
    const r = await dfsctl(['--server', `http://127.0.0.1:${server.apiPort}`, 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/use an https:\/\/ URL/);
  });

  it('--insecure works only with a warning; --ca-cert is refused for http://', async () => {
    const r = await dfsctl(
      ['--context', 'loose', '--server', url, 'login', '--insecure', '--password-stdin'],
      'new-admin-pw\n',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: not verifying the TLS certificate of https:/);
    const again = await dfsctl(['--context', 'loose', 'status']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/warning: not verifying the TLS certificate/);
    const http = await dfsctl(['--server', 'http://127.0.0.1:1', 'login', '--ca-cert', tls.cert]);
    expect(http.code).toBe(1);
    expect(http.stderr).toMatch(/apply to https:\/\/ servers only/);
  });
});
