/**
 * Real-client check: libtirpc's `rpcinfo` pings the embedded portmapper.
 * `rpcinfo -n PORT -t` still asks port 111 first in this libtirpc version,
 * so the service is addressed directly with `-a <universal address> -T`.
 * Without a version, rpcinfo discovers the served range from PROG_MISMATCH.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcServer } from '../rpc/server.js';
import { PortmapRegistry } from './registry.js';
import { createPortmapProgram } from './program.js';
import { toUniversalAddress } from './universal-address.js';

const run = promisify(execFile);

async function findRpcinfo(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, 'rpcinfo');
    try {
      await access(p);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const rpcinfo = await findRpcinfo();
const required = process.env.DFS_REQUIRE_TOOLS === '1';

describe.skipIf(!rpcinfo && !required)('rpcinfo against the embedded portmapper', () => {
  let server: RpcServer;
  let uaddr: string;

  beforeAll(async () => {
    expect(rpcinfo, 'rpcinfo (package rpcbind) is required when DFS_REQUIRE_TOOLS=1').toBeDefined();
    const registry = new PortmapRegistry();
    server = new RpcServer({ programs: [createPortmapProgram(registry)] });
    const { port } = await server.listenTcp(0, '127.0.0.1');
    await server.listenUdp(port, '127.0.0.1');
    uaddr = toUniversalAddress('127.0.0.1', port);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('pings portmap version 2 over TCP', async () => {
    const { stdout } = await run(rpcinfo as string, ['-a', uaddr, '-T', 'tcp', '100000', '2'], { timeout: 10_000 });
    expect(stdout).toContain('program 100000 version 2 ready and waiting');
  });

  it('discovers versions 2 to 4 over UDP from PROG_MISMATCH', async () => {
    const { stdout } = await run(rpcinfo as string, ['-a', uaddr, '-T', 'udp', '100000'], { timeout: 10_000 });
    for (const v of [2, 3, 4]) expect(stdout).toContain(`program 100000 version ${v} ready and waiting`);
  });

  it('reports an unserved program as unavailable (PROG_UNAVAIL)', async () => {
    const err = await run(rpcinfo as string, ['-a', uaddr, '-T', 'tcp', '100001', '1'], { timeout: 10_000 }).catch(
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain('Program unavailable');
  });
});
