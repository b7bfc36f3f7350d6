import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Smb2TestClient } from './helpers/smb2-client.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

describe('SMB2 credits and pipelining (MS-SMB2 §3.3.1.2)', () => {
  let srv: Smb2TestServer;

  beforeAll(async () => {
    srv = await startSmb2TestServer();
  });
  afterAll(() => srv.close());

  it('grants the credits asked for, and pipelined requests within the window all get answers', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const neg = await c.negotiate([0x0210]);
    expect(neg.hdr.credits).toBeGreaterThanOrEqual(1);
    const first = await c.echo({ creditRequest: 64 });
    expect(first.hdr.credits).toBe(64);
    const all = await Promise.all(Array.from({ length: 40 }, () => c.echo({ creditRequest: 1 })));
    expect(all.every((r) => r.status === 0)).toBe(true);
    await c.end();
  });

  it('a MessageId outside the window closes the connection', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0210]);
    void c.echo({ messageId: 1000n });
    expect(await c.waitClosed()).toBe(true);
  });

  it('a reused MessageId closes the connection', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0210]);
    await c.echo({ messageId: 1n, creditRequest: 8 });
    void c.echo({ messageId: 1n });
    expect(await c.waitClosed()).toBe(true);
  });

  it('a CreditCharge larger than the credits held closes the connection', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0210]);
    await c.echo({ creditRequest: 2 });
    void c.echo({ creditCharge: 200 });
    expect(await c.waitClosed()).toBe(true);
  });

  it('the client never holds more than the maximum (8192, as Windows and Samba grant)', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const neg = await c.negotiate([0x0210]);
    const r = await c.echo({ creditRequest: 65535 });
    // What NEGOTIATE granted, less the one this ECHO spent, plus this grant: exactly the maximum.
    expect(neg.hdr.credits - 1 + r.hdr.credits).toBe(8192);
    const again = await c.echo({ creditRequest: 65535 });
    // This ECHO spent one credit: only that one comes back.
    expect(again.hdr.credits).toBe(1);
    await c.end();
  });
});
