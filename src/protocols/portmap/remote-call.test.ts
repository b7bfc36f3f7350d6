import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RpcServer } from '../rpc/server.js';
import type { RpcProgram } from '../rpc/types.js';
import { XdrWriter } from '../xdr/writer.js';
import { createPortmapProgram } from './program.js';
import { PortmapRegistry } from './registry.js';
import { PortmapRemoteCaller, RemoteCallError } from './remote-call.js';

const ECHO = 300_123;

let server: RpcServer;
let port: number;
let registry: PortmapRegistry;

beforeEach(async () => {
  registry = new PortmapRegistry();
  const echo: RpcProgram = {
    prog: ECHO,
    name: 'echo',
    minVers: 1,
    maxVers: 1,
    async handle(call, args, reply) {
      if (call.proc !== 1) return 'proc_unavail';
      reply.uint32(args.uint32() + 1);
      return 'success';
    },
  };
  server = new RpcServer({ programs: [createPortmapProgram(registry), echo] });
  port = (await server.listenTcp(0, '127.0.0.1')).port;
  await server.listenUdp(port, '127.0.0.1');
});
afterEach(async () => {
  await server.close();
});

describe('calls through a peer portmapper (RFC 1833 §3.2 GETPORT)', () => {
  it('finds the program and calls it over TCP and UDP', async () => {
    registry.set({ prog: ECHO, vers: 1, protocol: 'tcp', port });
    registry.set({ prog: ECHO, vers: 1, protocol: 'udp', port });
    const caller = new PortmapRemoteCaller({ timeoutMs: 2_000 });
    for (const transport of ['tcp', 'udp'] as const) {
      const body = await caller.call(
        { address: '127.0.0.1', transport, portmapPort: port },
        ECHO,
        1,
        1,
        new XdrWriter().uint32(41).toBuffer(),
      );
      expect(body.uint32()).toBe(42);
    }
  });

  it('reports an unregistered program, a refused call and an unreachable host by code', async () => {
    const caller = new PortmapRemoteCaller({ timeoutMs: 1_000 });
    const target = { address: '127.0.0.1', transport: 'tcp' as const, portmapPort: port };
    await expect(caller.call(target, ECHO, 1, 1, Buffer.alloc(4))).rejects.toMatchObject({ code: 'UNREGISTERED' });
    registry.set({ prog: ECHO, vers: 1, protocol: 'tcp', port });
    await expect(caller.call(target, ECHO, 1, 9, Buffer.alloc(0))).rejects.toMatchObject({ code: 'REJECTED' });
    const closed = new RpcServer({ programs: [] });
    const dead = (await closed.listenTcp(0, '127.0.0.1')).port;
    await closed.close();
    await expect(caller.call({ ...target, portmapPort: dead }, ECHO, 1, 1, Buffer.alloc(4))).rejects.toBeInstanceOf(
      RemoteCallError,
    );
  });
});
