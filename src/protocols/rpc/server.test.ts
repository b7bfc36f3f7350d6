import * as net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { XdrWriter } from '../xdr/writer.js';
import { RpcClient } from './client.js';
import { AUTH_ERROR, RPC_MISMATCH, encodeCallHeader } from './message.js';
import { RecordDecoder, frameRecord } from './record-marking.js';
import { TOY, TOY_MAX_VERS, TOY_MIN_VERS, TOY_PROG, TOY_UNSERVED_VERS, startToyServer } from './testing/toy-program.js';
import { AUTH_NONE, AUTH_SYS, AcceptStat, AuthStat, type RpcCall, type RpcProgram } from './types.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: Parameters<typeof startToyServer>[0] = {}) {
  const s = await startToyServer(opts);
  cleanups.push(() => s.server.close());
  const client = await RpcClient.connect('127.0.0.1', s.port);
  cleanups.push(() => client.close());
  return { ...s, client };
}

const u32 = (...v: number[]): Buffer => {
  const w = new XdrWriter();
  for (const x of v) w.uint32(x);
  return w.toBuffer();
};

describe('RpcServer dispatch over TCP', () => {
  it('answers NULL with SUCCESS and an empty body', async () => {
    const { client } = await setup();
    const r = await client.call(TOY_PROG, 1, TOY.NULL, Buffer.alloc(0));
    expect(r).toMatchObject({ kind: 'accepted', acceptStat: AcceptStat.SUCCESS });
    if (r.kind === 'accepted') expect(r.body.remaining).toBe(0);
  });

  it('echoes arguments back', async () => {
    const { client } = await setup();
    const r = await client.call(TOY_PROG, 1, TOY.ECHO, new XdrWriter().opaque(Buffer.from('ping')).toBuffer());
    expect(r.kind === 'accepted' && r.body.opaque(100).toString()).toBe('ping');
  });

  it('replies PROG_UNAVAIL for an unknown program', async () => {
    const { client } = await setup();
    expect(await client.call(0x3fffffff, 1, 0, Buffer.alloc(0))).toMatchObject({
      kind: 'accepted',
      acceptStat: AcceptStat.PROG_UNAVAIL,
    });
  });

  it('replies PROG_MISMATCH with the served range for versions outside it or not served', async () => {
    const { client } = await setup();
    for (const vers of [TOY_MAX_VERS + 1, 0, TOY_UNSERVED_VERS]) {
      expect(await client.call(TOY_PROG, vers, 0, Buffer.alloc(0))).toMatchObject({
        kind: 'accepted',
        acceptStat: AcceptStat.PROG_MISMATCH,
        mismatch: { low: TOY_MIN_VERS, high: TOY_MAX_VERS },
      });
    }
  });

  it('replies PROC_UNAVAIL for an unknown procedure', async () => {
    const { client } = await setup();
    expect(await client.call(TOY_PROG, 1, 99, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.PROC_UNAVAIL });
  });

  it('replies GARBAGE_ARGS when arguments do not decode (XdrError) or the handler says so', async () => {
    const { client } = await setup();
    expect(await client.call(TOY_PROG, 1, TOY.ECHO, u32(5000))).toMatchObject({ acceptStat: AcceptStat.GARBAGE_ARGS });
    expect(await client.call(TOY_PROG, 1, TOY.DELAY, u32(1))).toMatchObject({ acceptStat: AcceptStat.GARBAGE_ARGS });
    expect(await client.call(TOY_PROG, 1, TOY.GARBAGE, Buffer.alloc(0))).toMatchObject({
      acceptStat: AcceptStat.GARBAGE_ARGS,
    });
  });

  it('replies SYSTEM_ERR when a handler throws, and keeps serving', async () => {
    const { client } = await setup();
    expect(await client.call(TOY_PROG, 1, TOY.THROW, Buffer.alloc(0))).toMatchObject({
      acceptStat: AcceptStat.SYSTEM_ERR,
    });
    expect(await client.call(TOY_PROG, 1, TOY.NULL, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.SUCCESS });
  });

  it('replies RPC_MISMATCH (2, 2) to rpcvers 3', async () => {
    const { client } = await setup();
    const w = new XdrWriter();
    const none = { flavor: AUTH_NONE, body: Buffer.alloc(0) };
    encodeCallHeader(w, { xid: 777, prog: TOY_PROG, vers: 1, proc: 0, cred: none, verf: none });
    const msg = w.toBuffer();
    msg.writeUInt32BE(3, 8);
    expect(await client.rawCall(msg)).toEqual({
      xid: 777,
      kind: 'denied',
      rejectStat: RPC_MISMATCH,
      mismatch: { low: 2, high: 2 },
    });
  });

  it('passes AUTH_SYS credentials to the program and maps its authError to AUTH_ERROR', async () => {
    const { client } = await setup();
    const cred = { stamp: 1, machineName: 'c', uid: 1000, gid: 50, gids: [1, 2, 3] };
    const ok = await client.call(TOY_PROG, 1, TOY.WHOAMI, Buffer.alloc(0), { cred });
    expect(ok.kind === 'accepted' && [ok.body.uint32(), ok.body.uint32(), ok.body.uint32()]).toEqual([1000, 50, 3]);
    expect(await client.call(TOY_PROG, 1, TOY.WHOAMI, Buffer.alloc(0))).toEqual({
      xid: expect.any(Number),
      kind: 'denied',
      rejectStat: AUTH_ERROR,
      authStat: AuthStat.AUTH_TOOWEAK,
    });
  });

  it('denies bad and unsupported credentials with the matching auth_stat', async () => {
    const { client } = await setup();
    const raw = (flavor: number, body: Buffer, verf = { flavor: AUTH_NONE, body: Buffer.alloc(0) }) => {
      const w = new XdrWriter();
      encodeCallHeader(w, { xid: 0x1000 + flavor, prog: TOY_PROG, vers: 1, proc: 0, cred: { flavor, body }, verf });
      return client.rawCall(w.toBuffer());
    };
    // Malformed AUTH_SYS body, AUTH_SHORT (never issued), RPCSEC_GSS (not yet served), unknown flavor.
    expect(await raw(AUTH_SYS, Buffer.alloc(8))).toMatchObject({ authStat: AuthStat.AUTH_BADCRED });
    expect(await raw(2, Buffer.alloc(8))).toMatchObject({ authStat: AuthStat.AUTH_REJECTEDCRED });
    expect(await raw(6, Buffer.alloc(8))).toMatchObject({ authStat: AuthStat.AUTH_REJECTEDCRED });
    expect(await raw(12345, Buffer.alloc(0))).toMatchObject({ authStat: AuthStat.AUTH_REJECTEDCRED });
    // AUTH_NONE with a body; a verifier that is not AUTH_NONE.
    expect(await raw(AUTH_NONE, Buffer.alloc(4))).toMatchObject({ authStat: AuthStat.AUTH_BADCRED });
    expect(await raw(AUTH_NONE, Buffer.alloc(0), { flavor: 1, body: Buffer.alloc(0) })).toMatchObject({
      kind: 'denied',
      rejectStat: AUTH_ERROR,
      authStat: AuthStat.AUTH_BADVERF,
    });
  });

  it('sends no reply when the handler drops the call', async () => {
    const { client } = await setup();
    await expect(client.call(TOY_PROG, 1, TOY.DROP, Buffer.alloc(0), { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });

  it('sends a reply with a zero-copy payload as one well-formed record', async () => {
    const { client } = await setup();
    const r = await client.call(TOY_PROG, 1, TOY.BIG, u32(300_001));
    if (r.kind !== 'accepted') throw new Error('denied');
    expect(r.body.uint32()).toBe(0xb16b16);
    const data = r.body.opaque(1 << 20);
    expect(data.length).toBe(300_001);
    expect(data[300_000]).toBe(300_000 & 0xff);
    expect(r.body.uint32()).toBe(0xe0d);
  });

  it('serves programs added and removed at run time', async () => {
    const { server, client } = await setup();
    const extra: RpcProgram = {
      prog: 0x20000999,
      name: 'extra',
      minVers: 1,
      maxVers: 1,
      handle: async (_c: RpcCall, _a, w) => {
        w.uint32(5);
        return 'success';
      },
    };
    server.addProgram(extra);
    expect(await client.call(extra.prog, 1, 0, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.SUCCESS });
    server.removeProgram(extra.prog);
    expect(await client.call(extra.prog, 1, 0, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.PROG_UNAVAIL });
  });
});

describe('RpcServer concurrency', () => {
  it('pipelines calls on one connection and lets replies complete out of order', async () => {
    const { client, toy } = await setup();
    const order: number[] = [];
    const delays = [120, 10, 80, 0, 40, 60, 20, 100];
    const calls = delays.map((ms, tag) =>
      client.call(TOY_PROG, 1, TOY.DELAY, u32(ms, tag)).then((r) => {
        if (r.kind !== 'accepted') throw new Error('denied');
        const got = r.body.uint32();
        order.push(got);
        return got;
      }),
    );
    expect(await Promise.all(calls)).toEqual(delays.map((_, i) => i));
    // All ran concurrently, and replies arrived in completion (delay) order.
    expect(toy.maxActive).toBe(delays.length);
    expect(order).toEqual([...delays.keys()].sort((a, b) => delays[a] - delays[b]));
  });

  it('bounds calls in flight per connection and still answers all of them', async () => {
    const { client, toy } = await setup({ maxInFlightPerConnection: 3 });
    const calls = Array.from({ length: 20 }, (_, i) => client.call(TOY_PROG, 1, TOY.DELAY, u32(5, i)));
    const replies = await Promise.all(calls);
    expect(replies.map((r) => r.kind === 'accepted' && r.body.uint32())).toEqual([...Array(20).keys()]);
    expect(toy.maxActive).toBe(3);
  });

  it('serves many connections at once and counts them', async () => {
    const { server, port } = await startToyServer();
    cleanups.push(() => server.close());
    const clients = await Promise.all(Array.from({ length: 20 }, () => RpcClient.connect('127.0.0.1', port)));
    // The server counts a connection when its accept event runs: wait for all
    // 20 rather than a fixed time, which a loaded machine can overrun.
    for (let i = 0; i < 200 && server.connectionCount < 20; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.connectionCount).toBe(20);
    const replies = await Promise.all(clients.map((c, i) => c.call(TOY_PROG, 1, TOY.DELAY, u32(1, i))));
    expect(replies.map((r) => r.kind === 'accepted' && r.body.uint32())).toEqual([...Array(20).keys()]);
    await Promise.all(clients.map((c) => c.close()));
    for (let i = 0; i < 50 && server.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.connectionCount).toBe(0);
  });

  it('close() stops listening and fails calls on open connections', async () => {
    const { server, port } = await startToyServer();
    const client = await RpcClient.connect('127.0.0.1', port);
    const pending = client.call(TOY_PROG, 1, TOY.DELAY, u32(5000, 1)).catch((e: unknown) => e);
    for (let i = 0; i < 200 && server.connectionCount < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.connectionCount).toBe(1);
    await server.close();
    expect(server.connectionCount).toBe(0);
    expect(await pending).toMatchObject({ code: 'CLOSED' });
    await expect(RpcClient.connect('127.0.0.1', port, { timeoutMs: 1000 })).rejects.toThrow();
  });
});

describe('RpcServer connection edge cases', () => {
  it('sends the replies of pipelined calls that finish in one tick with one socket write', async () => {
    const { server, port } = await startToyServer();
    cleanups.push(() => server.close());
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const replies: number[] = [];
    const all = new Promise<void>((resolve) => {
      const decoder = new RecordDecoder((rec) => {
        replies.push(rec.readUInt32BE(0));
        if (replies.length === 32) resolve();
      });
      socket.on('data', (c: Buffer) => decoder.push(c));
    });
    const none = { flavor: AUTH_NONE, body: Buffer.alloc(0) };
    const calls: Buffer[] = [];
    for (let xid = 1; xid <= 32; xid++) {
      const w = new XdrWriter();
      encodeCallHeader(w, { xid, prog: TOY_PROG, vers: 1, proc: TOY.NULL, cred: none, verf: none });
      calls.push(...frameRecord(w.toBuffers()));
    }
    // Socket writes of both ends: the client's one, then the server's.
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    const single = vi.spyOn(proto, '_write');
    const vector = vi.spyOn(proto, '_writev');
    socket.write(Buffer.concat(calls));
    await all;
    const writes = single.mock.calls.length + vector.mock.calls.length;
    single.mockRestore();
    vector.mockRestore();
    expect(replies.sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(writes).toBeLessThanOrEqual(3);
    socket.destroy();
  });

  it('sends the replies of calls completed by separate callbacks of one event-loop turn with one socket write', async () => {
    const { server, port } = await startToyServer();
    cleanups.push(() => server.close());
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const replies: number[] = [];
    const all = new Promise<void>((resolve) => {
      const decoder = new RecordDecoder((rec) => {
        replies.push(rec.readUInt32BE(0));
        if (replies.length === 32) resolve();
      });
      socket.on('data', (c: Buffer) => decoder.push(c));
    });
    const none = { flavor: AUTH_NONE, body: Buffer.alloc(0) };
    const calls: Buffer[] = [];
    for (let xid = 1; xid <= 32; xid++) {
      const w = new XdrWriter();
      encodeCallHeader(w, { xid, prog: TOY_PROG, vers: 1, proc: TOY.DELAY, cred: none, verf: none });
      // Timers of one duration started in one turn expire in one timers phase, each its own
      // callback (with process.nextTick queues run between them), as fs completions are.
      w.uint32(30);
      w.uint32(xid);
      calls.push(...frameRecord(w.toBuffers()));
    }
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    const single = vi.spyOn(proto, '_write');
    const vector = vi.spyOn(proto, '_writev');
    socket.write(Buffer.concat(calls));
    await all;
    const writes = single.mock.calls.length + vector.mock.calls.length;
    single.mockRestore();
    vector.mockRestore();
    expect(replies.sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    // One write per reply (32 and the client's) before; a loaded machine may split the turn once or twice.
    expect(writes).toBeLessThanOrEqual(8);
    socket.destroy();
  });

  it('answers calls sent before the client half-closes, then ends the connection', async () => {
    const { server, port } = await startToyServer();
    cleanups.push(() => server.close());
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const replies: number[] = [];
    const decoder = new RecordDecoder((rec) => replies.push(rec.readUInt32BE(0)));
    socket.on('data', (c: Buffer) => decoder.push(c));
    const ended = new Promise((r) => socket.once('end', r));
    const none = { flavor: AUTH_NONE, body: Buffer.alloc(0) };
    for (const [xid, ms] of [
      [1, 40],
      [2, 0],
    ]) {
      const w = new XdrWriter();
      encodeCallHeader(w, { xid, prog: TOY_PROG, vers: 1, proc: TOY.DELAY, cred: none, verf: none });
      w.uint32(ms).uint32(xid);
      socket.write(Buffer.concat(frameRecord(w.toBuffers())));
    }
    socket.end();
    await ended;
    expect(replies.sort()).toEqual([1, 2]);
    socket.destroy();
  });

  it('drops a call whose program misbehaves outside its handler, and keeps serving', async () => {
    const broken: RpcProgram = {
      prog: 0x20000777,
      name: 'broken',
      minVers: 1,
      maxVers: 1,
      isNonIdempotent: () => {
        throw new Error('bug');
      },
      handle: async () => 'success',
    };
    const { client } = await setup({ programs: [broken] });
    await expect(client.call(broken.prog, 1, 0, Buffer.alloc(0), { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(await client.call(TOY_PROG, 1, TOY.NULL, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.SUCCESS });
  });
});

describe('RpcServer write backpressure', () => {
  it('stops starting calls while a client does not read its replies, and resumes when it does', async () => {
    const { server, toy, port } = await startToyServer();
    cleanups.push(() => server.close());
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(async () => void socket.destroy());
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    const total = 400;
    const none = { flavor: AUTH_NONE, body: Buffer.alloc(0) };
    for (let i = 0; i < total; i++) {
      const w = new XdrWriter();
      encodeCallHeader(w, { xid: i + 1, prog: TOY_PROG, vers: 1, proc: TOY.BIG, cred: none, verf: none });
      w.uint32(128 * 1024);
      socket.write(Buffer.concat(frameRecord(w.toBuffers())));
    }
    await new Promise((r) => setTimeout(r, 300));
    // 400 x 128 KiB = 50 MiB of replies, more than the loopback socket buffers
    // and the 4 MiB reply bound hold: the server must stall short of the total and stay stalled.
    const started = toy.runCount(TOY.BIG);
    expect(started).toBeLessThan(total);
    await new Promise((r) => setTimeout(r, 100));
    expect(toy.runCount(TOY.BIG)).toBe(started);
    let replies = 0;
    const decoder = new RecordDecoder(() => replies++);
    socket.on('data', (c: Buffer) => decoder.push(c));
    socket.resume();
    for (let i = 0; i < 300 && replies < total; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replies).toBe(total);
    expect(toy.runCount(TOY.BIG)).toBe(total);
  });
});

describe('duplicate request cache', () => {
  it('runs a retransmitted non-idempotent call once and resends the same reply', async () => {
    const { client, toy } = await setup();
    const first = await client.call(TOY_PROG, 1, TOY.COUNT, u32(9), { xid: 4242 });
    const again = await client.call(TOY_PROG, 1, TOY.COUNT, u32(9), { xid: 4242 });
    expect(first.kind === 'accepted' && first.body.uint32()).toBe(1);
    expect(again.kind === 'accepted' && again.body.uint32()).toBe(1);
    expect(toy.runCount(TOY.COUNT)).toBe(1);
    // A different xid is a new request.
    const other = await client.call(TOY_PROG, 1, TOY.COUNT, u32(9), { xid: 4243 });
    expect(other.kind === 'accepted' && other.body.uint32()).toBe(2);
  });

  it('recognises a retransmission from a new connection (new source port)', async () => {
    const { client, toy, port } = await setup();
    await client.call(TOY_PROG, 1, TOY.COUNT, u32(1), { xid: 99 });
    const second = await RpcClient.connect('127.0.0.1', port);
    cleanups.push(() => second.close());
    const r = await second.call(TOY_PROG, 1, TOY.COUNT, u32(1), { xid: 99 });
    expect(r.kind === 'accepted' && r.body.uint32()).toBe(1);
    expect(toy.runCount(TOY.COUNT)).toBe(1);
  });

  it('treats the same xid with different arguments as a new request', async () => {
    const { client, toy } = await setup();
    await client.call(TOY_PROG, 1, TOY.COUNT, u32(1), { xid: 5 });
    await client.call(TOY_PROG, 1, TOY.COUNT, u32(2), { xid: 5 });
    expect(toy.runCount(TOY.COUNT)).toBe(2);
  });

  it('drops a retransmission that arrives while the original still runs', async () => {
    const { client, toy } = await setup();
    toy.closeGate();
    const w = new XdrWriter();
    const none = { flavor: AUTH_NONE, body: Buffer.alloc(0) };
    encodeCallHeader(w, { xid: 31337, prog: TOY_PROG, vers: 1, proc: TOY.GATED, cred: none, verf: none });
    const msg = w.toBuffer();
    const original = client.rawCall(msg);
    await new Promise((r) => setTimeout(r, 20));
    const mark = Buffer.alloc(4);
    mark.writeUInt32BE((0x80000000 | msg.length) >>> 0);
    client.sendRaw(Buffer.concat([mark, msg]));
    await new Promise((r) => setTimeout(r, 20));
    toy.openGate();
    const r = await original;
    expect(r.kind === 'accepted' && r.body.uint32()).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(toy.runCount(TOY.GATED)).toBe(1);
    expect(client.unmatchedReplies).toBe(0);
  });

  it('does not cache idempotent procedures', async () => {
    const { client, toy } = await setup();
    await client.call(TOY_PROG, 1, TOY.NULL, Buffer.alloc(0), { xid: 8 });
    await client.call(TOY_PROG, 1, TOY.NULL, Buffer.alloc(0), { xid: 8 });
    expect(toy.runCount(TOY.NULL)).toBe(2);
  });
});

describe('RpcServer over UDP', () => {
  it('answers calls and error replies over UDP, with DRC keyed on address', async () => {
    const { server, toy } = await startToyServer();
    cleanups.push(() => server.close());
    const { port } = await server.listenUdp(0, '127.0.0.1');
    const client = await RpcClient.connect('127.0.0.1', port, { transport: 'udp' });
    cleanups.push(() => client.close());
    expect(client.transport).toBe('udp');
    const echo = await client.call(TOY_PROG, 1, TOY.ECHO, new XdrWriter().opaque(Buffer.from('udp!')).toBuffer());
    expect(echo.kind === 'accepted' && echo.body.opaque(10).toString()).toBe('udp!');
    expect(await client.call(TOY_PROG, 9, 0, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.PROG_MISMATCH });
    expect(await client.call(0x3ffffff0, 1, 0, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.PROG_UNAVAIL });
    await client.call(TOY_PROG, 1, TOY.COUNT, u32(3), { xid: 1234 });
    const again = await client.call(TOY_PROG, 1, TOY.COUNT, u32(3), { xid: 1234 });
    expect(again.kind === 'accepted' && again.body.uint32()).toBe(1);
    expect(toy.runCount(TOY.COUNT)).toBe(1);
  });

  it('drops replies too large for one datagram', async () => {
    const { server } = await startToyServer();
    cleanups.push(() => server.close());
    const { port } = await server.listenUdp(0, '127.0.0.1');
    const client = await RpcClient.connect('127.0.0.1', port, { transport: 'udp' });
    cleanups.push(() => client.close());
    await expect(client.call(TOY_PROG, 1, TOY.BIG, u32(70_000), { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    const ok = await client.call(TOY_PROG, 1, TOY.BIG, u32(60_000));
    expect(ok).toMatchObject({ acceptStat: AcceptStat.SUCCESS });
  });
});
