// The REST API over HTTPS: api.tlsCert/api.tlsKey make it speak TLS only,
// wrong files are reported by their key, and a clear-text API on a
// non-loopback address is warned about.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { startServer, type DittoServer } from '../server.js';
import { apiBaseUrl, isLoopbackHost } from './server.js';
import { makeSelfSignedCert, type TestCert } from './test-tls.js';

function configWith(dataDir: string, api: Record<string, unknown>) {
  return parseConfig(
    {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      shares: [{ name: '/export', metadata: 'memory', blocks: 'memory' }],
      api: { port: 0, ...api },
      database: { path: ':memory:' },
    },
    { dataDir },
  );
}

function fetchStatus(
  get: typeof httpsGet | typeof httpGet,
  url: string,
  opts: RequestOptions = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ...opts, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('REST API over HTTPS', () => {
  let dir: string;
  let tls: TestCert;
  let server: DittoServer;
  let ca: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-api-tls-'));
    tls = await makeSelfSignedCert(dir);
    ca = await readFile(tls.cert);
    server = await startServer(configWith(dir, { tlsCert: tls.cert, tlsKey: tls.key }), { adminPassword: 'pw-12345' });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers over HTTPS with TLS 1.2 or later, verified against its certificate', async () => {
    const url = apiBaseUrl({ host: '127.0.0.1', tls: { cert: tls.cert, key: tls.key } }, server.apiPort);
    expect(url).toBe(`https://127.0.0.1:${server.apiPort}`);
    const r = await fetchStatus(httpsGet, `${url}/health`, { ca });
    expect(r.status).toBe(200);
    const proto = await new Promise<string | null>((resolve, reject) => {
      const req = httpsGet(`${url}/health`, { ca, agent: false }, (res) => {
        resolve((res.socket as import('node:tls').TLSSocket).getProtocol());
        res.resume();
      });
      req.on('error', reject);
    });
    expect(['TLSv1.2', 'TLSv1.3']).toContain(proto);
  });

  it('an unverified client is refused by its own TLS check (self-signed certificate)', async () => {
    await expect(fetchStatus(httpsGet, `https://127.0.0.1:${server.apiPort}/health`)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('plain HTTP on the HTTPS port gets no API answer', async () => {
    // Node's TLS server drops a connection that does not open with a TLS handshake.
    await expect(fetchStatus(httpGet, `http://127.0.0.1:${server.apiPort}/health`)).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });

  it('names the key whose file cannot be read or does not fit', async () => {
    const missing = join(dir, 'nope.key');
    await expect(
      startServer(configWith(dir, { tlsCert: tls.cert, tlsKey: missing }), { adminPassword: 'pw-12345' }),
    ).rejects.toThrow(`api.tlsKey: cannot read ${missing}: ENOENT`);
    await expect(
      startServer(configWith(dir, { tlsCert: tls.key, tlsKey: tls.key }), { adminPassword: 'pw-12345' }),
    ).rejects.toThrow(/^api\.tlsCert: .* is not a PEM certificate/);
    const other = await makeSelfSignedCert(dir, 'other');
    await expect(
      startServer(configWith(dir, { tlsCert: tls.cert, tlsKey: other.key }), { adminPassword: 'pw-12345' }),
    ).rejects.toThrow(/^api\.tlsKey: .*other\.key is not the private key of the certificate/);
  });
});

describe('clear-text API', () => {
  it('loopback hosts and base URLs', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.1', 'fd00::1', 'example.org']) expect(isLoopbackHost(h)).toBe(false);
    expect(apiBaseUrl({ host: '::1' }, 8080)).toBe('http://[::1]:8080');
  });

  it('warns at start when it listens beyond loopback without TLS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dfs-api-plain-'));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'warn' }, sink);
    // Bound on every interface for the moment of the test; nothing is sent to it.
    const server = await startServer(configWith(dir, { host: '0.0.0.0' }), { adminPassword: 'pw-12345', logger });
    try {
      const warning = lines
        .map((l) => JSON.parse(l) as { level: number; msg: string; host?: string })
        .find((l) => /without TLS/.test(l.msg));
      expect(warning).toMatchObject({ level: 40, host: '0.0.0.0' });
      expect(warning?.msg).toMatch(/api\.tlsCert and api\.tlsKey/);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
