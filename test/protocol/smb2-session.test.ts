import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Smb2TestClient } from './helpers/smb2-client.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const MORE_PROCESSING = 0xc0000016;
const LOGON_FAILURE = 0xc000006d;
const ACCESS_DENIED = 0xc0000022;
const BAD_NETWORK_NAME = 0xc00000cc;
const USER_SESSION_DELETED = 0xc0000203;
const NOT_SUPPORTED = 0xc00000bb;
const NETWORK_NAME_DELETED = 0xc00000c9;

describe('SMB2 negotiate, session setup and tree connect over TCP', () => {
  let srv: Smb2TestServer;

  beforeAll(async () => {
    srv = await startSmb2TestServer({
      shares: [{ name: '/export' }, { name: '/private' }, { name: '/docs' }],
      authorize: (share, caller) => {
        if (share.name === '/private') return caller?.uid === 1000 ? 'write' : 'none';
        if (share.name === '/docs') return 'read';
        return 'write';
      },
    });
  });
  afterAll(() => srv.close());

  for (const dialect of [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]) {
    it(`negotiates dialect 0x${dialect.toString(16)} when it is the only one offered`, async () => {
      const c = await Smb2TestClient.connect(srv.port);
      const res = await c.negotiate([dialect]);
      expect(res.status).toBe(0);
      expect(res.body.readUInt16LE(0)).toBe(65);
      expect(res.body.readUInt16LE(4)).toBe(dialect);
      // MaxReadSize: 64 KiB for 2.0.2 (no multi-credit), larger otherwise.
      const maxRead = res.body.readUInt32LE(32);
      expect(dialect === 0x0202 ? maxRead === 65536 : maxRead > 65536).toBe(true);
      const secOff = res.body.readUInt16LE(56);
      expect(res.msg.subarray(secOff, secOff + res.body.readUInt16LE(58)).toString()).toBe('HINT');
      if (dialect === 0x0311) {
        expect(res.body.readUInt16LE(6)).toBeGreaterThanOrEqual(1);
        const ctxOff = res.body.readUInt32LE(60);
        expect(ctxOff % 8).toBe(0);
        expect(res.msg.readUInt16LE(ctxOff)).toBe(1); // PREAUTH_INTEGRITY_CAPABILITIES
        expect(res.msg.readUInt16LE(ctxOff + 12)).toBe(1); // SHA-512
      }
      await c.end();
    });
  }

  it('picks the newest common dialect', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const res = await c.negotiate([0x0202, 0x0302, 0x0210]);
    expect(res.body.readUInt16LE(4)).toBe(0x0302);
    await c.end();
  });

  it('no common dialect is NOT_SUPPORTED; 3.1.1 without a preauth context is INVALID_PARAMETER', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    expect((await c.negotiate([0x0222])).status).toBe(NOT_SUPPORTED);
    await c.end();
    const d = await Smb2TestClient.connect(srv.port);
    expect((await d.negotiate([0x0311], { contexts: false })).status).toBe(0xc000000d);
    await d.end();
  });

  it('an SMB1 negotiate offering "SMB 2.???" is answered with the SMB2 wildcard, then SMB2 negotiate proceeds', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const dialects = Buffer.from('\x02NT LM 0.12\x00\x02SMB 2.002\x00\x02SMB 2.???\x00', 'latin1');
    const smb1 = Buffer.alloc(35 + dialects.length);
    smb1.writeUInt32LE(0x424d53ff, 0);
    smb1[4] = 0x72;
    smb1[32] = 0;
    smb1.writeUInt16LE(dialects.length, 33);
    dialects.copy(smb1, 35);
    const first = new Promise<Smb2TestClient['frames'][number]>((resolve) => {
      const t = setInterval(() => {
        if (c.frames.length > 0) {
          clearInterval(t);
          resolve(c.frames[0]);
        }
      }, 5);
    });
    const framed = Buffer.alloc(4);
    framed.writeUInt32BE(smb1.length);
    c.sendRaw(Buffer.concat([framed, smb1]));
    const resp = await first;
    expect(resp.readUInt32LE(0)).toBe(0x424d53fe);
    expect(resp.readUInt16LE(64 + 4)).toBe(0x02ff);
    c.nextMessageId = 1n;
    const res = await c.negotiate([0x0210, 0x0302]);
    expect(res.status).toBe(0);
    expect(res.body.readUInt16LE(4)).toBe(0x0302);
    await c.end();
  });

  it('session setup loops with MORE_PROCESSING_REQUIRED, then succeeds', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0311]);
    const first = await c.sessionSetup(Buffer.from('NEGO'));
    expect(first.status).toBe(MORE_PROCESSING);
    expect(first.hdr.sessionId).not.toBe(0n);
    expect(Smb2TestClient.securityBuffer(first).toString()).toBe('CHAL');
    const second = await c.sessionSetup(Buffer.from('alice:secret'));
    expect(second.status).toBe(0);
    expect(second.hdr.sessionId).toBe(first.hdr.sessionId);
    await c.end();
  });

  it('a wrong password is LOGON_FAILURE and the session is gone', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0302]);
    await c.sessionSetup(Buffer.from('NEGO'));
    const res = await c.sessionSetup(Buffer.from('alice:wrong'));
    expect(res.status).toBe(LOGON_FAILURE);
    expect((await c.treeConnect('\\\\h\\export')).status).toBe(USER_SESSION_DELETED);
    await c.end();
  });

  it('commands on a session that never authenticated are USER_SESSION_DELETED', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0302]);
    await c.sessionSetup(Buffer.from('NEGO'));
    expect((await c.treeConnect('\\\\h\\export')).status).toBe(USER_SESSION_DELETED);
    await c.end();
  });

  it('tree connect maps \\\\server\\name to the share /name without case, and refuses unknown names', async () => {
    const c = await srv.client();
    expect((await c.treeConnect('\\\\127.0.0.1\\EXPORT')).status).toBe(0);
    expect((await c.treeConnect('\\\\127.0.0.1\\nope')).status).toBe(BAD_NETWORK_NAME);
  });

  it('share permission none is ACCESS_DENIED; read gives MaximalAccess without write', async () => {
    const bob = await srv.client({ user: 'bob' });
    expect((await bob.treeConnect('\\\\h\\private')).status).toBe(ACCESS_DENIED);
    const alice = await srv.client({ user: 'alice' });
    expect((await alice.treeConnect('\\\\h\\private')).status).toBe(0);
    const docs = await alice.treeConnect('\\\\h\\docs');
    expect(docs.status).toBe(0);
    expect(docs.body.readUInt32LE(12) & 0x2).toBe(0);
    const created = await alice.create('x.txt', { disposition: 2 });
    expect(created.status).toBe(ACCESS_DENIED);
  });

  it('IPC$ connects as a pipe tree on which opens are refused', async () => {
    const c = await srv.client();
    const res = await c.treeConnect('\\\\h\\IPC$');
    expect(res.status).toBe(0);
    expect(res.body[2]).toBe(2);
    expect((await c.create('srvsvc', { disposition: 1 })).status).toBe(0xc0000034);
  });

  it('tree disconnect and logoff end the tree and the session', async () => {
    const c = await srv.client();
    expect((await c.treeDisconnect()).status).toBe(0);
    expect((await c.create('a', { disposition: 3 })).status).toBe(NETWORK_NAME_DELETED);
    expect((await c.logoff()).status).toBe(0);
    expect((await c.treeConnect('\\\\h\\export')).status).toBe(USER_SESSION_DELETED);
  });

  it('ECHO works before a session exists', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    await c.negotiate([0x0210]);
    expect((await c.echo()).status).toBe(0);
    await c.end();
  });

  it('LOCK answers NOT_SUPPORTED', async () => {
    const c = await srv.client();
    const f = await c.create('lockme', { disposition: 3 });
    const body = Buffer.alloc(48);
    body.writeUInt16LE(48, 0);
    body.writeUInt16LE(1, 2);
    Smb2TestClient.fileIdBytes(f.fileId).copy(body, 8);
    expect((await c.request(0x0a, body)).status).toBe(NOT_SUPPORTED);
  });
});
