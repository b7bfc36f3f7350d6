import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Smb2TestClient } from './helpers/smb2-client.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

/** A tiny deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frame(msg: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(msg.length);
  return Buffer.concat([h, msg]);
}

/** Send bytes; resolve once the server answered something or closed (or after a short while). */
function fire(port: number, bytes: Buffer[]): Promise<'answered' | 'closed' | 'silent'> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let answered = false;
    const t = setTimeout(() => {
      s.destroy();
      resolve(answered ? 'answered' : 'silent');
    }, 150);
    s.on('data', () => {
      answered = true;
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve(answered ? 'answered' : 'closed');
    });
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
    });
  });
}

describe('SMB2 hostile input: the server answers or closes, and keeps serving', () => {
  let srv: Smb2TestServer;
  let valid: Buffer[];

  beforeAll(async () => {
    srv = await startSmb2TestServer();
    // Capture well-formed requests to mutate: negotiate, session setup, tree connect, create, write, query.
    const c = await srv.client();
    const msgs: Buffer[] = [];
    const orig = c.build.bind(c);
    c.build = (cmd, body, o) => {
      const r = orig(cmd, body, o);
      msgs.push(r.msg);
      return r;
    };
    const f = await c.create('fuzz.txt', { disposition: 3, access: 0x1f01ff });
    await c.write(f.fileId, 0, Buffer.from('payload'));
    await c.queryDirectory(f.fileId, '*', 37, 1);
    await c.queryInfo(f.fileId, 1, 18);
    await c.setInfo(f.fileId, 20, Buffer.alloc(8));
    await c.ioctl(0x00140204, f.fileId, Buffer.alloc(30));
    valid = msgs;
  });
  afterAll(() => srv.close());

  it('a frame longer than the limit closes the connection without buffering it', async () => {
    const h = Buffer.from([0, 0xff, 0xff, 0xff]);
    expect(await fire(srv.port, [h, randomBytes(1024)])).toBe('closed');
  });

  it('a non-zero first length byte, SMB1 garbage and a transform header close the connection', async () => {
    expect(await fire(srv.port, [Buffer.from([1, 0, 0, 4, 0, 0, 0, 0])])).toBe('closed');
    const smb1 = Buffer.alloc(40);
    smb1.writeUInt32LE(0x424d53ff, 0);
    smb1[4] = 0x25;
    expect(await fire(srv.port, [frame(smb1)])).toBe('closed');
    const tr = Buffer.alloc(80);
    tr.writeUInt32LE(0x424d53fd, 0);
    expect(await fire(srv.port, [frame(tr)])).toBe('closed');
  });

  it('short bodies of every command get INVALID_PARAMETER, not a crash', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0210]);
    for (let cmd = 1; cmd <= 0x12; cmd++) {
      if (cmd === 0x0c) continue;
      const res = await c.request(cmd, Buffer.from([1, 0]));
      expect(res.status, `command ${cmd}`).not.toBe(0);
    }
    expect((await c.echo()).status).toBe(0);
    await c.end();
  });

  it('random and mutated messages: every connection answers or closes, and the server still serves', async () => {
    const rnd = prng(12345);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 300; i++) {
      const pick = valid[Math.floor(rnd() * valid.length)];
      let msg: Buffer;
      if (i % 5 === 0) {
        msg = randomBytes(Math.floor(rnd() * 300));
      } else {
        msg = Buffer.from(pick);
        const flips = 1 + Math.floor(rnd() * 8);
        for (let k = 0; k < flips; k++) msg[Math.floor(rnd() * msg.length)] = Math.floor(rnd() * 256);
        if (rnd() < 0.2) msg = msg.subarray(0, Math.floor(rnd() * msg.length));
      }
      // Half the time, behind a valid NEGOTIATE so the mutated command reaches its handler.
      const neg = valid[0];
      const parts = i % 2 === 0 ? [frame(neg), frame(msg)] : [frame(msg)];
      const outcome = await fire(srv.port, parts);
      expect(['answered', 'closed', 'silent']).toContain(outcome);
    }
    const c = await srv.client();
    const f = await c.create('still-alive.txt', { disposition: 3 });
    expect(f.status).toBe(0);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024);
    expect(srv.server.connectionCount).toBeLessThanOrEqual(3);
  });
});
