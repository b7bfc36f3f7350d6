import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import { RpcClient } from '../rpc/client.js';
import { RpcServer } from '../rpc/server.js';
import { AcceptStat, type RpcCall, type RpcReply } from '../rpc/index.js';
import { createPortmapProgram } from './program.js';
import { IPPROTO_TCP, IPPROTO_UDP, PortmapRegistry } from './registry.js';
import { parseUniversalAddress, toUniversalAddress } from './universal-address.js';

const PMAP = 100000;
const NFS = 100003;
const MOUNT = 100005;

let registry: PortmapRegistry;
let server: RpcServer;
let port: number;
let client: RpcClient;

beforeEach(async () => {
  registry = new PortmapRegistry();
  server = new RpcServer({ programs: [createPortmapProgram(registry)] });
  ({ port } = await server.listenTcp(0, '127.0.0.1'));
  registry.set({ prog: PMAP, vers: 2, protocol: 'tcp', port });
  registry.set({ prog: NFS, vers: 3, protocol: 'tcp', port: 2049 });
  registry.set({ prog: NFS, vers: 3, protocol: 'udp', port: 2049 });
  registry.set({ prog: MOUNT, vers: 3, protocol: 'tcp', port: 20048 });
  client = await RpcClient.connect('127.0.0.1', port);
});
afterEach(async () => {
  await client.close();
  await server.close();
});

function body(r: RpcReply): XdrReader {
  if (r.kind !== 'accepted' || r.acceptStat !== AcceptStat.SUCCESS)
    throw new Error(`unexpected reply ${JSON.stringify(r)}`);
  return r.body;
}

const mapping = (prog: number, vers: number, prot: number, p = 0) =>
  new XdrWriter().uint32(prog).uint32(vers).uint32(prot).uint32(p).toBuffer();
const rpcb = (prog: number, vers: number, netid: string, addr = '', owner = '') =>
  new XdrWriter().uint32(prog).uint32(vers).string(netid).string(addr).string(owner).toBuffer();

describe('portmap v2 (RFC 1833 §3)', () => {
  it('answers NULL on versions 2, 3 and 4 and PROG_MISMATCH(2, 4) outside', async () => {
    for (const v of [2, 3, 4]) expect(await client.call(PMAP, v, 0, Buffer.alloc(0))).toMatchObject({ acceptStat: 0 });
    expect(await client.call(PMAP, 5, 0, Buffer.alloc(0))).toMatchObject({
      acceptStat: AcceptStat.PROG_MISMATCH,
      mismatch: { low: 2, high: 4 },
    });
  });

  it('GETPORT returns the registered port per protocol, 0 when unknown', async () => {
    expect(body(await client.call(PMAP, 2, 3, mapping(NFS, 3, IPPROTO_TCP))).uint32()).toBe(2049);
    expect(body(await client.call(PMAP, 2, 3, mapping(NFS, 3, IPPROTO_UDP))).uint32()).toBe(2049);
    expect(body(await client.call(PMAP, 2, 3, mapping(MOUNT, 3, IPPROTO_UDP))).uint32()).toBe(0);
    expect(body(await client.call(PMAP, 2, 3, mapping(NFS, 4, IPPROTO_TCP))).uint32()).toBe(0);
    expect(body(await client.call(PMAP, 2, 3, mapping(NFS, 3, 99))).uint32()).toBe(0);
  });

  it('DUMP lists every mapping', async () => {
    const r = body(await client.call(PMAP, 2, 4, Buffer.alloc(0)));
    const seen: string[] = [];
    while (r.bool()) seen.push([r.uint32(), r.uint32(), r.uint32(), r.uint32()].join('/'));
    expect(r.remaining).toBe(0);
    expect(seen.sort()).toEqual(
      [`${PMAP}/2/6/${port}`, `${NFS}/3/6/2049`, `${NFS}/3/17/2049`, `${MOUNT}/3/6/20048`].sort(),
    );
  });

  it('SET and UNSET from loopback change the table; SET does not replace an existing mapping', async () => {
    expect(body(await client.call(PMAP, 2, 1, mapping(100021, 4, IPPROTO_TCP, 4045))).bool()).toBe(true);
    expect(registry.getPort(100021, 4, 'tcp')).toBe(4045);
    expect(body(await client.call(PMAP, 2, 1, mapping(100021, 4, IPPROTO_TCP, 4046))).bool()).toBe(false);
    expect(registry.getPort(100021, 4, 'tcp')).toBe(4045);
    expect(body(await client.call(PMAP, 2, 2, mapping(100021, 4, 0, 0))).bool()).toBe(true);
    expect(registry.getPort(100021, 4, 'tcp')).toBe(0);
    expect(body(await client.call(PMAP, 2, 2, mapping(100021, 4, 0, 0))).bool()).toBe(false);
  });

  it('CALLIT is PROC_UNAVAIL over TCP and unanswered over UDP', async () => {
    const args = new XdrWriter().uint32(NFS).uint32(3).uint32(0).opaque(Buffer.alloc(0)).toBuffer();
    expect(await client.call(PMAP, 2, 5, args)).toMatchObject({ acceptStat: AcceptStat.PROC_UNAVAIL });
    const { port: udpPort } = await server.listenUdp(0, '127.0.0.1');
    const udp = await RpcClient.connect('127.0.0.1', udpPort, { transport: 'udp' });
    try {
      await expect(udp.call(PMAP, 2, 5, args, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(body(await udp.call(PMAP, 2, 3, mapping(NFS, 3, IPPROTO_UDP))).uint32()).toBe(2049);
    } finally {
      await udp.close();
    }
  });
});

describe('rpcbind v3/v4 (RFC 1833 §2)', () => {
  it('GETADDR returns a universal address on the address the request arrived on', async () => {
    for (const v of [3, 4]) {
      expect(body(await client.call(PMAP, v, 3, rpcb(NFS, 3, 'tcp'))).string(100)).toBe(
        toUniversalAddress('127.0.0.1', 2049),
      );
      expect(body(await client.call(PMAP, v, 3, rpcb(NFS, 3, 'udp'))).string(100)).toBe('127.0.0.1.8.1');
    }
    // Unregistered: the empty string.
    expect(body(await client.call(PMAP, 4, 3, rpcb(MOUNT, 3, 'udp'))).string(100)).toBe('');
    // An empty netid means the transport of the request itself.
    expect(body(await client.call(PMAP, 3, 3, rpcb(MOUNT, 3, ''))).string(100)).toBe('127.0.0.1.78.80');
  });

  it('GETADDR may name another version of the program; v4 GETVERSADDR needs the exact one', async () => {
    expect(body(await client.call(PMAP, 4, 3, rpcb(MOUNT, 1, 'tcp'))).string(100)).toBe('127.0.0.1.78.80');
    expect(body(await client.call(PMAP, 4, 9, rpcb(MOUNT, 1, 'tcp'))).string(100)).toBe('');
    expect(body(await client.call(PMAP, 4, 9, rpcb(MOUNT, 3, 'tcp'))).string(100)).toBe('127.0.0.1.78.80');
    expect(await client.call(PMAP, 3, 9, rpcb(MOUNT, 3, 'tcp'))).toMatchObject({ acceptStat: AcceptStat.PROC_UNAVAIL });
  });

  it('DUMP lists netids, universal addresses and owners', async () => {
    const r = body(await client.call(PMAP, 4, 4, Buffer.alloc(0)));
    const seen: string[] = [];
    while (r.bool()) seen.push([r.uint32(), r.uint32(), r.string(255), r.string(255), r.string(255)].join(' '));
    expect(seen).toContain(`${NFS} 3 udp 127.0.0.1.8.1 dittofs`);
    expect(seen).toHaveLength(4);
  });

  it('SET/UNSET by netid from loopback; empty netid unsets all transports', async () => {
    expect(body(await client.call(PMAP, 3, 1, rpcb(100024, 1, 'udp', '127.0.0.1.3.233'))).bool()).toBe(true);
    expect(registry.getPort(100024, 1, 'udp')).toBe(1001);
    expect(body(await client.call(PMAP, 3, 1, rpcb(100024, 1, 'tcp', 'bogus'))).bool()).toBe(false);
    expect(body(await client.call(PMAP, 3, 1, rpcb(100024, 1, 'sctp', '127.0.0.1.3.233'))).bool()).toBe(false);
    expect(body(await client.call(PMAP, 3, 2, rpcb(NFS, 3, ''))).bool()).toBe(true);
    expect(registry.getPort(NFS, 3, 'tcp') + registry.getPort(NFS, 3, 'udp')).toBe(0);
  });

  it('GETTIME returns the server time; GETADDRLIST (v4) lists each transport', async () => {
    const t = body(await client.call(PMAP, 3, 6, Buffer.alloc(0))).uint32();
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(5);
    const r = body(await client.call(PMAP, 4, 11, rpcb(NFS, 3, 'tcp')));
    const entries: string[] = [];
    while (r.bool()) entries.push([r.string(255), r.string(255), r.uint32(), r.string(255), r.string(255)].join(' '));
    expect(entries.sort()).toEqual(['127.0.0.1.8.1 tcp 3 inet tcp', '127.0.0.1.8.1 udp 1 inet udp']);
  });

  it('UADDR2TADDR and TADDR2UADDR are PROC_UNAVAIL; garbage arguments are GARBAGE_ARGS', async () => {
    expect(await client.call(PMAP, 3, 7, new XdrWriter().string('x').toBuffer())).toMatchObject({ acceptStat: 3 });
    expect(await client.call(PMAP, 3, 8, Buffer.alloc(8))).toMatchObject({ acceptStat: 3 });
    expect(await client.call(PMAP, 3, 3, Buffer.alloc(6))).toMatchObject({ acceptStat: AcceptStat.GARBAGE_ARGS });
    expect(await client.call(PMAP, 2, 3, Buffer.alloc(4))).toMatchObject({ acceptStat: AcceptStat.GARBAGE_ARGS });
  });
});

describe('portmap access control and addresses', () => {
  const remote = (vers: number, proc: number): RpcCall => ({
    xid: 1,
    prog: PMAP,
    vers,
    proc,
    cred: { flavor: 0, body: Buffer.alloc(0) },
    verf: { flavor: 0, body: Buffer.alloc(0) },
    peer: { transport: 'tcp', address: '192.0.2.7', port: 700, connectionId: 1, localAddress: '192.0.2.1' },
  });

  it('refuses SET and UNSET from a non-loopback caller', async () => {
    const prog = createPortmapProgram(registry);
    const run = async (vers: number, proc: number, args: Buffer) => {
      const w = new XdrWriter();
      expect(await prog.handle(remote(vers, proc), new XdrReader(args), w)).toBe('success');
      return new XdrReader(w.toBuffer()).bool();
    };
    expect(await run(2, 1, mapping(300000, 1, IPPROTO_TCP, 99))).toBe(false);
    expect(await run(2, 2, mapping(NFS, 3, IPPROTO_TCP))).toBe(false);
    expect(await run(3, 1, rpcb(300000, 1, 'tcp', '0.0.0.0.0.99'))).toBe(false);
    expect(await run(4, 2, rpcb(NFS, 3, ''))).toBe(false);
    expect(registry.getPort(NFS, 3, 'tcp')).toBe(2049);
    expect(registry.getPort(300000, 1, 'tcp')).toBe(0);
  });

  it('names the configured host when the local address is a wildcard', async () => {
    const call = remote(3, 3);
    call.peer = { ...call.peer, transport: 'udp', localAddress: '0.0.0.0' };
    for (const [opts, expected] of [
      [{}, '0.0.0.0.8.1'],
      [{ host: '198.51.100.4' }, '198.51.100.4.8.1'],
    ] as const) {
      const w = new XdrWriter();
      await createPortmapProgram(registry, opts).handle(call, new XdrReader(rpcb(NFS, 3, 'udp')), w);
      expect(new XdrReader(w.toBuffer()).string(100)).toBe(expected);
    }
  });

  it('answers tcp6 queries that arrive over IPv6 from the dual-stack registration', async () => {
    const call = remote(4, 3);
    call.peer = { ...call.peer, localAddress: '2001:db8::1' };
    const w = new XdrWriter();
    await createPortmapProgram(registry).handle(call, new XdrReader(rpcb(NFS, 3, 'tcp6')), w);
    expect(new XdrReader(w.toBuffer()).string(100)).toBe('2001:db8::1.8.1');
  });
});

describe('universal addresses (RFC 5665 §5.2.3)', () => {
  it('round-trips IPv4 and IPv6 universal addresses', () => {
    expect(toUniversalAddress('10.1.2.3', 2049)).toBe('10.1.2.3.8.1');
    expect(parseUniversalAddress('10.1.2.3.8.1')).toEqual({ host: '10.1.2.3', port: 2049 });
    expect(parseUniversalAddress('fe80::1.0.111')).toEqual({ host: 'fe80::1', port: 111 });
  });

  it('rejects malformed universal addresses', () => {
    for (const bad of ['', '1.2.3.4', '1.2.3.4.256.1', '1.2.3.4.1.-1', 'host.example.8.1', '1.2.3.4.1.x']) {
      expect(parseUniversalAddress(bad)).toBeUndefined();
    }
  });
});
