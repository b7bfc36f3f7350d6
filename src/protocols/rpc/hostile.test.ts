/**
 * Hostile input: whatever a client sends, the server answers with the
 * protocol's error or closes that one connection, never crashes, hangs or
 * buffers without bound, and keeps serving everyone else.
 */
import * as net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../observability/logger.js';
import { XdrError } from '../xdr/errors.js';
import { XdrWriter } from '../xdr/writer.js';
import { RpcClient } from './client.js';
import { RpcDispatcher } from './dispatcher.js';
import {
  AUTH_ERROR,
  decodeAuthSys,
  decodeCallHeader,
  decodeReply,
  encodeAuthSys,
  encodeCallHeader,
} from './message.js';
import { DEFAULT_MAX_RECORD_SIZE, RecordDecoder, frameRecord } from './record-marking.js';
import type { RpcServer } from './server.js';
import { TOY, TOY_PROG, ToyProgram, startToyServer } from './testing/toy-program.js';
import { AUTH_NONE, AUTH_SYS, AcceptStat, AuthStat, type OpaqueAuth, type RpcPeer } from './types.js';

/** mulberry32: small seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

const none: OpaqueAuth = { flavor: AUTH_NONE, body: Buffer.alloc(0) };

function validCall(xid: number, proc: number = TOY.ECHO, cred = none): Buffer {
  const w = new XdrWriter();
  encodeCallHeader(w, { xid, prog: TOY_PROG, vers: 1, proc, cred, verf: none });
  if (proc === TOY.ECHO) w.opaque(Buffer.from('payload'));
  return w.toBuffer();
}

const record = (msg: Buffer): Buffer => Buffer.concat(frameRecord([msg]));

let server: RpcServer;
let port: number;
beforeEach(async () => {
  ({ server, port } = await startToyServer());
});
afterEach(async () => {
  await server.close();
});

/** A fresh connection still gets a NULL answered. */
async function expectServerAlive(): Promise<void> {
  const c = await RpcClient.connect('127.0.0.1', port, { timeoutMs: 2000 });
  try {
    expect(await c.call(TOY_PROG, 1, TOY.NULL, Buffer.alloc(0))).toMatchObject({ acceptStat: AcceptStat.SUCCESS });
  } finally {
    await c.close();
  }
}

/** Open a raw socket; resolves with helpers to write and to await close. */
async function rawSocket(): Promise<{ socket: net.Socket; closed: Promise<void>; replies: Buffer[] }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const replies: Buffer[] = [];
  const decoder = new RecordDecoder((r) => replies.push(Buffer.from(r)));
  socket.on('data', (c: Buffer) => decoder.push(c));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, closed, replies };
}

const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

/** Poll until `done()` holds (a loaded machine answers late), at most `ms`. */
async function until(done: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline;) await settle(10);
}

describe('hostile input over TCP', () => {
  it('survives thousands of records of random bytes', async () => {
    const rand = prng(0xc0ffee);
    const { socket, replies } = await rawSocket();
    const parts: Buffer[] = [];
    // Half fully random, half a plausible call prefix (xid, CALL, rpcvers 2,
    // toy program, version 1) followed by random bytes, to get past the header.
    const prefix = validCall(0).subarray(0, 20);
    for (let i = 0; i < 3000; i++) {
      const body = randomBytes(rand, 1 + ((rand() * 200) | 0));
      parts.push(record(i % 2 ? Buffer.concat([prefix, body]) : body));
    }
    socket.write(Buffer.concat(parts));
    // Wait until answers have started and then stopped coming (not a fixed
    // time: a loaded machine can take longer than any constant), at most 20 s.
    const deadline = Date.now() + 20_000;
    for (let seen = 0, stable = 0; stable < 3 && Date.now() < deadline;) {
      await settle(100);
      stable = replies.length > 0 && replies.length === seen ? stable + 1 : 0;
      seen = replies.length;
    }
    // Whatever was answered must be a well-formed reply; the plausible ones get answers.
    for (const r of replies) decodeReply(r);
    expect(replies.length).toBeGreaterThan(100);
    socket.destroy();
    await expectServerAlive();
  });

  it('survives raw random byte streams without record framing', async () => {
    const rand = prng(42);
    for (let i = 0; i < 20; i++) {
      const { socket } = await rawSocket();
      socket.write(randomBytes(rand, 1 + ((rand() * 5000) | 0)));
      await settle(5);
      socket.destroy();
    }
    await expectServerAlive();
  });

  it('answers or drops every truncation of a valid call and keeps the connection usable', async () => {
    const { socket, replies } = await rawSocket();
    const call = validCall(0x5150);
    for (let len = 0; len < call.length; len++) socket.write(record(call.subarray(0, len)));
    socket.write(record(validCall(0x600d)));
    await until(() => replies.some((r) => r.readUInt32BE(0) === 0x600d));
    const decoded = replies.map((r) => decodeReply(r));
    // The complete call at the end is answered normally on the same connection.
    expect(decoded.find((r) => r.xid === 0x600d)).toMatchObject({ acceptStat: AcceptStat.SUCCESS });
    // Truncated ones get an error (GARBAGE_ARGS, AUTH_BADCRED/BADVERF) or nothing, never success.
    for (const r of decoded.filter((d) => d.xid === 0x5150)) {
      expect(r.kind === 'denied' || r.acceptStat === AcceptStat.GARBAGE_ARGS).toBe(true);
    }
    socket.destroy();
    await expectServerAlive();
  });

  it('closes a connection whose stream ends inside a record, without harm', async () => {
    const { socket } = await rawSocket();
    socket.write(record(validCall(1)).subarray(0, 30));
    socket.end();
    await settle();
    await expectServerAlive();
  });

  it('closes the connection on a record mark claiming 2 GiB, buffering nothing', async () => {
    const { socket, closed } = await rawSocket();
    const mark = Buffer.alloc(4);
    mark.writeUInt32BE(0xffffffff);
    socket.write(Buffer.concat([mark, Buffer.alloc(1000)]));
    await closed;
    expect(server.bufferedBytes).toBe(0);
    await expectServerAlive();
  });

  it('cuts off a fragment chain that never ends at the maximum record size', async () => {
    const { socket, closed } = await rawSocket();
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const frag = Buffer.alloc(4 + 64 * 1024);
    frag.writeUInt32BE(64 * 1024, 0); // not the last fragment
    const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let sent = 0;
    let maxBuffered = 0;
    while (!isClosed && sent < 4 * DEFAULT_MAX_RECORD_SIZE) {
      if (!socket.write(frag)) await new Promise((r) => setTimeout(r, 1));
      sent += frag.length;
      maxBuffered = Math.max(maxBuffered, server.bufferedBytes);
      if (sent % (1024 * 1024) === 0) await new Promise((r) => setImmediate(r));
    }
    await closed;
    expect(maxBuffered).toBeLessThanOrEqual(DEFAULT_MAX_RECORD_SIZE);
    expect(sent).toBeLessThan(4 * DEFAULT_MAX_RECORD_SIZE);
    expect(server.bufferedBytes).toBe(0);
    const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await expectServerAlive();
  });

  it('denies an AUTH_SYS credential with a 10,000-gid list with AUTH_BADCRED', async () => {
    const { socket, replies } = await rawSocket();
    // The whole list (40 KB body, far over the 400-byte opaque_auth limit)...
    const gids = Array.from({ length: 10_000 }, (_, i) => i);
    const full = encodeAuthSys(new XdrWriter(), { stamp: 1, machineName: 'evil', uid: 0, gid: 0, gids }).toBuffer();
    socket.write(record(validCall(0xbad1, TOY.NULL, { flavor: AUTH_SYS, body: full })));
    // ...and a body within 400 bytes whose count claims 10,000.
    const w = new XdrWriter().uint32(1).string('evil').uint32(0).uint32(0).uint32(10_000);
    for (let i = 0; i < 16; i++) w.uint32(i);
    socket.write(record(validCall(0xbad2, TOY.NULL, { flavor: AUTH_SYS, body: w.toBuffer() })));
    await until(() => replies.length >= 2);
    const decoded = replies.map((r) => decodeReply(r));
    expect(decoded).toEqual([
      { xid: 0xbad1, kind: 'denied', rejectStat: AUTH_ERROR, authStat: AuthStat.AUTH_BADCRED },
      { xid: 0xbad2, kind: 'denied', rejectStat: AUTH_ERROR, authStat: AuthStat.AUTH_BADCRED },
    ]);
    socket.destroy();
    await expectServerAlive();
  });

  it('ignores replies and unknown message types sent to the server', async () => {
    const { socket, replies } = await rawSocket();
    const reply = validCall(7);
    reply.writeUInt32BE(1, 4);
    const weird = validCall(8);
    weird.writeUInt32BE(0x12345678, 4);
    socket.write(Buffer.concat([record(reply), record(weird), record(validCall(9))]));
    // The call after the two ignored messages is answered (so they were read), then nothing more comes.
    await until(() => replies.length >= 1);
    await settle(50);
    expect(replies.map((r) => decodeReply(r).xid)).toEqual([9]);
    socket.destroy();
  });
});

describe('decoder fuzzing (mutated valid calls)', () => {
  function mutate(rand: () => number, base: Buffer): Buffer {
    const b = Buffer.from(base);
    const edits = 1 + ((rand() * 4) | 0);
    for (let i = 0; i < edits; i++) {
      const at = (rand() * b.length) | 0;
      const choice = rand();
      if (choice < 0.5) b[at] = (rand() * 256) | 0;
      else if (choice < 0.75 && b.length >= 4)
        b.writeUInt32BE((rand() * 0x100000000) >>> 0, Math.min(at & ~3, b.length - 4));
      else return b.subarray(0, at);
    }
    return b;
  }

  const bases = (): Buffer[] => {
    const sys = encodeAuthSys(new XdrWriter(), { stamp: 3, machineName: 'm', uid: 1, gid: 2, gids: [3, 4] }).toBuffer();
    return [
      validCall(1),
      validCall(2, TOY.NULL),
      validCall(3, TOY.WHOAMI, { flavor: AUTH_SYS, body: sys }),
      Buffer.concat([validCall(4, TOY.DELAY), new XdrWriter().uint32(0).uint32(1).toBuffer()]),
      Buffer.concat([validCall(5, TOY.COUNT), new XdrWriter().uint32(9).toBuffer()]),
    ];
  };

  it('decodeCallHeader, decodeAuthSys and decodeReply throw nothing but XdrError', () => {
    const rand = prng(7);
    const inputs = bases();
    const kinds = { call: 0, denied: 0, drop: 0 };
    let foreignErrors = 0;
    for (let i = 0; i < 5000; i++) {
      const m = mutate(rand, inputs[i % inputs.length]);
      const d = decodeCallHeader(m);
      kinds[d.kind]++;
      if (d.kind === 'call') {
        if (d.argsOffset > m.length) foreignErrors++;
        decodeAuthSys(d.header.cred.body);
      }
      try {
        decodeReply(m);
      } catch (e) {
        if (!(e instanceof XdrError)) foreignErrors++;
      }
    }
    expect(foreignErrors).toBe(0);
    // The mutations reach every outcome, so all decoder paths were exercised.
    expect(kinds.call).toBeGreaterThan(100);
    expect(kinds.denied).toBeGreaterThan(100);
    expect(kinds.drop).toBeGreaterThan(100);
  });

  it('the dispatcher answers every mutated call with a well-formed reply or nothing', async () => {
    const rand = prng(99);
    const dispatcher = new RpcDispatcher({ programs: [new ToyProgram()], logger: silentLogger });
    const peer: RpcPeer = { transport: 'tcp', address: '127.0.0.1', port: 1, connectionId: 1 };
    const inputs = bases();
    for (let i = 0; i < 2000; i++) {
      const m = mutate(rand, inputs[i % inputs.length]);
      // DELAY with a mutated delay could sleep for hours; keep runs short.
      if (decodeCallHeader(m).kind === 'call' && m.readUInt32BE(20) === TOY.DELAY) continue;
      const out = await dispatcher.dispatch(m, peer, 0);
      if (out) {
        const r = decodeReply(Buffer.concat(out));
        expect(r.xid).toBe(m.readUInt32BE(0));
      }
    }
  });

  it('the server survives mutated calls over TCP', async () => {
    const rand = prng(1234);
    const { socket } = await rawSocket();
    const inputs = bases().filter((b) => decodeCallHeader(b).kind === 'call' && b.readUInt32BE(20) !== TOY.DELAY);
    const parts: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const m = mutate(rand, inputs[i % inputs.length]);
      if (m.length >= 24 && m.readUInt32BE(20) === TOY.DELAY) continue;
      parts.push(record(m));
    }
    socket.write(Buffer.concat(parts));
    await settle(100);
    socket.destroy();
    await expectServerAlive();
  });
});
