// libnfs's command-line clients (nfs-cp, nfs-ls, nfs-cat) on the host against
// the real `dfs start`: a userspace NFSv3 client that does its own MOUNT and
// reaches both programs on the one port through the URL's port arguments.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2e, missingForLibnfs } from './requirements.js';
import { startServerUnderTest, tail, SERVER_KIND, type ServerUnderTest } from './server-under-test.js';

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'buffer', timeout: 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr.toString() });
    });
  });
}

describeE2e(`libnfs clients (nfs-cp, nfs-ls, nfs-cat) against ${SERVER_KIND}`, missingForLibnfs(), () => {
  let server: ServerUnderTest;
  let work: string;
  let url: (path: string, extra?: string) => string;
  const payload = randomBytes(1024 * 1024 + 123);

  beforeAll(async () => {
    server = await startServerUnderTest([{ name: '/export', rootSquash: true, blocks: 'memory' }], 'libnfs');
    work = await mkdtemp(join(tmpdir(), 'dfs-libnfs-'));
    await writeFile(join(work, 'payload.bin'), payload);
    // libnfs URL arguments: version, nfsport and mountport skip the portmapper;
    // uid/gid set the AUTH_SYS identity (default: the caller's, root here).
    url = (path, extra = '') =>
      `nfs://127.0.0.1/export${path}?version=3&nfsport=${server.port}&mountport=${server.mountPort}${extra}`;
  });

  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  // Adds the server's log to a failing client's output.
  async function expectOk(r: Run, what: string): Promise<void> {
    if (r.code !== 0) {
      throw new Error(`${what} exited ${r.code}: ${r.stderr}\n--- server log ---\n${tail(await server.logs())}`);
    }
  }

  it('nfs-cp copies a local file into the share', async () => {
    const r = await run('nfs-cp', [join(work, 'payload.bin'), url('/payload.bin')]);
    await expectOk(r, 'nfs-cp');
    expect(r.stdout.toString()).toContain(`copied ${payload.length} bytes`);
  });

  it('nfs-ls lists the file with its size and the root-squashed owner', async () => {
    const r = await run('nfs-ls', [url('')]);
    await expectOk(r, 'nfs-ls');
    const line = r.stdout
      .toString()
      .split('\n')
      .find((l) => l.endsWith(' payload.bin'));
    expect(line, r.stdout.toString()).toBeDefined();
    // "-rw-rw----  1 65534 65534      1048699 payload.bin": libnfs sent uid 0
    expect(line!.split(/\s+/).slice(2, 5)).toEqual(['65534', '65534', String(payload.length)]);
  });

  it('nfs-cat reads back the same bytes', async () => {
    const r = await run('nfs-cat', [url('/payload.bin')]);
    await expectOk(r, 'nfs-cat');
    expect(r.stdout.length).toBe(payload.length);
    expect(r.stdout.equals(payload)).toBe(true);
  });

  it('nfs-cp copies the file back out unchanged', async () => {
    const out = join(work, 'copy.bin');
    await expectOk(await run('nfs-cp', [url('/payload.bin'), out]), 'nfs-cp (out)');
    expect((await readFile(out)).equals(payload)).toBe(true);
  });

  it('a file created as uid 1000 is owned by uid 1000', async () => {
    await writeFile(join(work, 'small.txt'), 'from uid 1000\n');
    await expectOk(
      await run('nfs-cp', [join(work, 'small.txt'), url('/by-1000.txt', '&uid=1000&gid=1000')]),
      'nfs-cp as 1000',
    );
    const ls = await run('nfs-ls', [url('')]);
    await expectOk(ls, 'nfs-ls');
    const line = ls.stdout
      .toString()
      .split('\n')
      .find((l) => l.endsWith(' by-1000.txt'));
    expect(line?.split(/\s+/).slice(2, 4)).toEqual(['1000', '1000']);
    const cat = await run('nfs-cat', [url('/by-1000.txt', '&uid=1000&gid=1000')]);
    await expectOk(cat, 'nfs-cat as 1000');
    expect(cat.stdout.toString()).toBe('from uid 1000\n');
  });

  it('reading a missing file fails', async () => {
    const r = await run('nfs-cat', [url('/no-such-file')]);
    expect(r.code).not.toBe(0);
  });
});
