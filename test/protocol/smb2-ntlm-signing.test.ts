import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmbAccount } from '../../src/auth/api.js';
import { ntHash } from '../../src/auth/ntlm/nt-hash.js';
import { NtlmClient } from '../../src/auth/ntlm/testing/client.js';
import { createSmbAuthenticator } from '../../src/auth/smb-authenticator.js';
import { deriveSessionKeys, preauthHashUpdate, verifySignature } from '../../src/protocols/smb2/crypto/index.js';
import { cryptoSigning } from '../../src/protocols/smb2/signing.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Smb2TestClient } from './helpers/smb2-client.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const ALICE: SmbAccount = { name: 'alice', ntHash: ntHash('s3cret!'), uid: 1000, gid: 1000, gids: [], enabled: true };
const authenticator = createSmbAuthenticator({
  lookup: async (user) => (user.toLowerCase() === 'alice' ? ALICE : undefined),
  serverName: 'DITTOFS',
  domain: 'WORKGROUP',
  logger: silentLogger,
});

/**
 * NTLM login over SPNEGO as a real client does it, keeping the 3.1.1
 * preauth hash on the client side to derive the same signing key.
 */
async function login(c: Smb2TestClient, dialect: number, password: string): Promise<{ status: number; key?: Buffer }> {
  const sent: Buffer[] = [];
  const build = c.build.bind(c);
  c.build = (cmd, body, o) => {
    const r = build(cmd, body, o);
    sent.push(r.msg);
    return r;
  };
  const neg = await c.negotiate([dialect]);
  let hash = preauthHashUpdate(preauthHashUpdate(Buffer.alloc(64), sent[0]), neg.msg);
  const ntlm = new NtlmClient({ user: 'alice', password, domain: 'WORKGROUP' });
  let blob = ntlm.initialToken();
  for (;;) {
    const res = await c.sessionSetup(blob);
    hash = preauthHashUpdate(hash, sent[sent.length - 1]);
    if (res.status !== 0xc0000016) {
      c.build = build;
      if (res.status !== 0) return { status: res.status };
      const key = deriveSessionKeys(dialect, ntlm.sessionKey!, dialect === 0x0311 ? hash : undefined).signingKey;
      // MS-SMB2 §3.3.5.5.3: the final SESSION_SETUP response of 3.x is signed.
      if (dialect >= 0x0300) {
        expect(res.hdr.flags & 0x8).toBe(0x8);
        expect(verifySignature(dialect, key, res.msg)).toBe(true);
      }
      return { status: 0, key };
    }
    hash = preauthHashUpdate(hash, res.msg);
    const next = ntlm.step(Smb2TestClient.securityBuffer(res));
    if (!next) throw new Error('NTLM client finished while the server wants more');
    blob = next;
  }
}

describe('SMB2 sessions with NTLM and signing', () => {
  let srv: Smb2TestServer;
  let strict: Smb2TestServer;

  beforeAll(async () => {
    srv = await startSmb2TestServer({ server: { authenticator } });
    strict = await startSmb2TestServer({ server: { authenticator, requireSigning: true } });
  });
  afterAll(async () => {
    await srv.close();
    await strict.close();
  });

  for (const dialect of [0x0210, 0x0300, 0x0302, 0x0311]) {
    it(`0x${dialect.toString(16)}: NTLM login, then signed requests get signed responses that verify`, async () => {
      const c = await Smb2TestClient.connect(srv.port);
      const { status, key } = await login(c, dialect, 's3cret!');
      expect(status).toBe(0);
      c.signing = { engine: cryptoSigning, key: key! };
      const tree = await c.treeConnect('\\\\h\\export');
      expect(tree.status).toBe(0);
      expect(verifySignature(dialect, key!, tree.msg)).toBe(true);
      const f = await c.create(`signed-${dialect}.txt`, { disposition: 5, access: 0x1f01ff });
      expect(f.status).toBe(0);
      await c.write(f.fileId, 0, Buffer.from('signed data'));
      const r = await c.read(f.fileId, 0, 64);
      expect(r.data.toString()).toBe('signed data');
      expect(verifySignature(dialect, key!, r.msg)).toBe(true);
      await c.end();
    });
  }

  it('a wrong password is LOGON_FAILURE', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    expect((await login(c, 0x0311, 'wrong')).status).toBe(0xc000006d);
    await c.end();
  });

  it('a request with a bad signature is refused with ACCESS_DENIED', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const { key } = await login(c, 0x0302, 's3cret!');
    c.signing = { engine: cryptoSigning, key: Buffer.from(key!).fill(1, 0, 4) };
    expect((await c.treeConnect('\\\\h\\export')).status).toBe(0xc0000022);
    await c.end();
  });

  it('with requireSigning, the server says so in NEGOTIATE and refuses unsigned requests', async () => {
    const c = await Smb2TestClient.connect(strict.port);
    const { status, key } = await login(c, 0x0311, 's3cret!');
    expect(status).toBe(0);
    expect((await c.treeConnect('\\\\h\\export')).status).toBe(0xc0000022);
    c.signing = { engine: cryptoSigning, key: key! };
    expect((await c.treeConnect('\\\\h\\export')).status).toBe(0);
    await c.end();
    const d = await Smb2TestClient.connect(strict.port);
    const neg = await d.negotiate([0x0210]);
    expect(neg.body.readUInt16LE(2) & 0x2).toBe(0x2);
    await d.end();
  });
});
