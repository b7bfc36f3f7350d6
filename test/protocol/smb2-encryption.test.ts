import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmbAccount } from '../../src/auth/api.js';
import { ntHash } from '../../src/auth/ntlm/nt-hash.js';
import { NtlmClient } from '../../src/auth/ntlm/testing/client.js';
import { createSmbAuthenticator } from '../../src/auth/smb-authenticator.js';
import {
  decryptMessage,
  deriveSessionKeys,
  encryptMessage,
  preauthHashUpdate,
} from '../../src/protocols/smb2/crypto/index.js';
import { frameHeader } from '../../src/protocols/smb2/framing.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Smb2TestClient } from './helpers/smb2-client.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const ALICE: SmbAccount = { name: 'alice', ntHash: ntHash('pw'), uid: 1000, gid: 1000, gids: [], enabled: true };

/** NEGOTIATE 3.1.1 offering AES-128-GCM, then NTLM; returns the client's view of the session keys. */
async function encryptedLogin(c: Smb2TestClient) {
  const sent: Buffer[] = [];
  const build = c.build.bind(c);
  c.build = (cmd, body, o) => {
    const r = build(cmd, body, o);
    sent.push(r.msg);
    return r;
  };
  // The test client's 3.1.1 NEGOTIATE carries PREAUTH and SIGNING contexts; append ENCRYPTION_CAPABILITIES.
  const negBody = Buffer.from(c.negotiateBodyFor311());
  const neg = await c.request(0, negBody, { creditCharge: 0 });
  c.dialect = 0x0311;
  const ctxOff = neg.body.readUInt32LE(60);
  let cipher = 0;
  let pos = ctxOff;
  for (let i = 0; i < neg.body.readUInt16LE(6); i++) {
    pos = (pos + 7) & ~7;
    const type = neg.msg.readUInt16LE(pos);
    const len = neg.msg.readUInt16LE(pos + 2);
    if (type === 2) cipher = neg.msg.readUInt16LE(pos + 10);
    pos += 8 + len;
  }
  let hash = preauthHashUpdate(preauthHashUpdate(Buffer.alloc(64), sent[0]), neg.msg);
  const ntlm = new NtlmClient({ user: 'alice', password: 'pw', domain: 'WORKGROUP' });
  let blob = ntlm.initialToken();
  for (;;) {
    const res = await c.sessionSetup(blob);
    hash = preauthHashUpdate(hash, sent[sent.length - 1]);
    if (res.status === 0) break;
    hash = preauthHashUpdate(hash, res.msg);
    const next = ntlm.step(Smb2TestClient.securityBuffer(res));
    if (!next) throw new Error('NTLM finished early');
    blob = next;
  }
  c.build = build;
  return { cipher, keys: deriveSessionKeys(0x0311, ntlm.sessionKey!, hash, cipher) };
}

describe('SMB 3.x encryption (TRANSFORM_HEADER)', () => {
  let srv: Smb2TestServer;

  beforeAll(async () => {
    srv = await startSmb2TestServer({
      server: {
        authenticator: createSmbAuthenticator({
          lookup: async (u) => (u === 'alice' ? ALICE : undefined),
          serverName: 'DITTOFS',
          domain: 'WORKGROUP',
          logger: silentLogger,
        }),
      },
    });
  });
  afterAll(() => srv.close());

  it('3.1.1 picks AES-128-GCM; an encrypted TREE_CONNECT gets an encrypted answer', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const { cipher, keys } = await encryptedLogin(c);
    expect(cipher).toBe(2);
    const name = Buffer.from('\\\\h\\export', 'utf16le');
    const body = Buffer.alloc(8);
    body.writeUInt16LE(9, 0);
    body.writeUInt16LE(72, 4);
    body.writeUInt16LE(name.length, 6);
    const { msg } = c.build(3, Buffer.concat([body, name]));
    const frames = c.frames.length;
    const enc = encryptMessage(cipher, keys.decryptionKey!, msg, c.sessionId);
    c.sendRaw(Buffer.concat([frameHeader(enc.length), enc]));
    for (let i = 0; i < 100 && c.frames.length === frames; i++) await new Promise((r) => setTimeout(r, 10));
    const reply = c.frames[frames];
    expect(reply.readUInt32LE(0)).toBe(0x424d53fd);
    const plain = decryptMessage(cipher, keys.encryptionKey!, reply);
    expect(plain).not.toBeNull();
    expect(plain!.readUInt32LE(8)).toBe(0);
    expect(plain!.readUInt32LE(16) & 0x8).toBe(0);
    await c.end();
  });

  it('a message that does not decrypt closes the connection', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const { cipher } = await encryptedLogin(c);
    const { msg } = c.build(0x0d, Buffer.from([4, 0, 0, 0]));
    const enc = encryptMessage(cipher, Buffer.alloc(16, 9), msg, c.sessionId);
    c.sendRaw(Buffer.concat([frameHeader(enc.length), enc]));
    expect(await c.waitClosed()).toBe(true);
  });
});
