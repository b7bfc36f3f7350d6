/**
 * Async responses on an encrypted SMB 3.1.1 session (MS-SMB2 §3.3.4.1.4,
 * §3.3.4.2): the interim STATUS_PENDING and the final response of a blocking
 * LOCK both come inside a TRANSFORM_HEADER of the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmbAccount } from '../../src/auth/api.js';
import { ntHash } from '../../src/auth/ntlm/nt-hash.js';
import { NtlmClient } from '../../src/auth/ntlm/testing/client.js';
import { createSmbAuthenticator } from '../../src/auth/smb-authenticator.js';
import { createLockManager, type LockManager } from '../../src/core/locks/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Command, FLAGS_ASYNC_COMMAND } from '../../src/protocols/smb2/constants.js';
import {
  decryptMessage,
  deriveSessionKeys,
  encryptMessage,
  preauthHashUpdate,
  type SessionKeys,
} from '../../src/protocols/smb2/crypto/index.js';
import { frameHeader } from '../../src/protocols/smb2/framing.js';
import { decodeHeader } from '../../src/protocols/smb2/header.js';
import { Smb2TestClient } from './helpers/smb2-client.js';
import { LOCKFLAG, lockBody } from './smb2-lock-fixture.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const ALICE: SmbAccount = { name: 'alice', ntHash: ntHash('pw'), uid: 1000, gid: 1000, gids: [], enabled: true };

/** NEGOTIATE 3.1.1 with encryption, NTLM login; the client's view of the keys. */
async function encryptedLogin(c: Smb2TestClient): Promise<{ cipher: number; keys: SessionKeys }> {
  const sent: Buffer[] = [];
  const build = c.build.bind(c);
  c.build = (cmd, body, o) => {
    const r = build(cmd, body, o);
    sent.push(r.msg);
    return r;
  };
  const neg = await c.request(Command.NEGOTIATE, c.negotiateBodyFor311(), { creditCharge: 0 });
  c.dialect = 0x0311;
  let cipher = 0;
  let pos = neg.body.readUInt32LE(60);
  for (let i = 0; i < neg.body.readUInt16LE(6); i++) {
    pos = (pos + 7) & ~7;
    if (neg.msg.readUInt16LE(pos) === 2) cipher = neg.msg.readUInt16LE(pos + 10);
    pos += 8 + neg.msg.readUInt16LE(pos + 2);
  }
  let hash = preauthHashUpdate(preauthHashUpdate(Buffer.alloc(64), sent[0]!), neg.msg);
  const ntlm = new NtlmClient({ user: 'alice', password: 'pw', domain: 'WORKGROUP' });
  let blob = ntlm.initialToken();
  for (;;) {
    const res = await c.sessionSetup(blob);
    hash = preauthHashUpdate(hash, sent[sent.length - 1]!);
    if (res.status === 0) break;
    hash = preauthHashUpdate(hash, res.msg);
    blob = ntlm.step(Smb2TestClient.securityBuffer(res))!;
  }
  c.build = build;
  return { cipher, keys: deriveSessionKeys(0x0311, ntlm.sessionKey!, hash, cipher) };
}

describe('async LOCK responses on an encrypted session', () => {
  let srv: Smb2TestServer;
  let lm: LockManager;
  beforeAll(async () => {
    lm = createLockManager();
    srv = await startSmb2TestServer({
      server: {
        locks: () => lm,
        authenticator: createSmbAuthenticator({
          lookup: async (u) => (u === 'alice' ? ALICE : undefined),
          serverName: 'DITTOFS',
          domain: 'WORKGROUP',
          logger: silentLogger,
        }),
      },
    });
  });
  afterAll(async () => {
    await srv.close();
    await lm.close();
  });

  it('interim and final responses of a blocking LOCK are encrypted for the session', async () => {
    const c = await Smb2TestClient.connect(srv.port);
    const { cipher, keys } = await encryptedLogin(c);
    /** Send one command encrypted and collect the next `count` frames, decrypted. */
    const call = async (cmd: number, body: Buffer, count = 1): Promise<Buffer[]> => {
      const { msg } = c.build(cmd, body);
      const before = c.frames.length;
      const enc = encryptMessage(cipher, keys.decryptionKey!, msg, c.sessionId);
      c.sendRaw(Buffer.concat([frameHeader(enc.length), enc]));
      return next(before, count);
    };
    const next = async (from: number, count: number): Promise<Buffer[]> => {
      for (let i = 0; i < 200 && c.frames.length < from + count; i++) await new Promise((r) => setTimeout(r, 10));
      return c.frames.slice(from, from + count).map((f) => {
        expect(f.readUInt32LE(0)).toBe(0x424d53fd);
        const plain = decryptMessage(cipher, keys.encryptionKey!, f);
        expect(plain).not.toBeNull();
        return plain!;
      });
    };
    const name = Buffer.from('\\\\h\\export', 'utf16le');
    const tc = Buffer.alloc(8);
    tc.writeUInt16LE(9, 0);
    tc.writeUInt16LE(72, 4);
    tc.writeUInt16LE(name.length, 6);
    const [tree] = await call(Command.TREE_CONNECT, Buffer.concat([tc, name]));
    c.treeId = tree!.readUInt32LE(36);
    const open = async (disposition: number) => {
      const [res] = await call(Command.CREATE, c.createBody('enc.bin', { disposition }));
      expect(res!.readUInt32LE(8)).toBe(0);
      return { persistent: res!.readBigUInt64LE(64 + 64), volatile: res!.readBigUInt64LE(64 + 72) };
    };
    const h1 = await open(5);
    const h2 = await open(1);
    const [held] = await call(Command.LOCK, lockBody(h1, [[0, 10, LOCKFLAG.EXCLUSIVE]]));
    expect(held!.readUInt32LE(8)).toBe(0);

    const [interim] = await call(Command.LOCK, lockBody(h2, [[0, 10, LOCKFLAG.EXCLUSIVE]]));
    const ih = decodeHeader(interim!, 0);
    expect(ih.status).toBe(0x103);
    expect(ih.flags & FLAGS_ASYNC_COMMAND).toBe(FLAGS_ASYNC_COMMAND);

    const before = c.frames.length;
    const [unlocked] = await call(Command.LOCK, lockBody(h1, [[0, 10, LOCKFLAG.UNLOCK]]));
    expect(unlocked!.readUInt32LE(8)).toBe(0);
    const frames = await next(before, 2);
    const final = frames.map((f) => decodeHeader(f, 0)).find((h) => h.messageId === ih.messageId);
    expect(final?.status).toBe(0);
    expect(final?.asyncId).toBe(ih.asyncId);
    await c.end();
  });
});
