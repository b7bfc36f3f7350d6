// Byte-range locks across NLM and SMB2 (docs/locking.md "Across protocols"):
// one Runtime serves a share over NFSv3 + NLM and SMB, with one lock manager.
// An NLM lock refuses SMB LOCKs and makes SMB READ/WRITE over its range fail
// with FILE_LOCK_CONFLICT; an SMB lock is what NLM TEST reports and what NLM
// LOCK waits for; waits end when the other protocol unlocks, cancels or closes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NtlmClient } from '../../src/auth/ntlm/testing/client.js';
import { startApiFixture, type ApiFixture } from '../../src/controlplane/api/test-server.js';
import { decodeRes, decodeTestRes } from '../../src/protocols/nlm/codec/decode.js';
import { encodeLockArgs, encodeTestArgs, encodeUnlockArgs } from '../../src/protocols/nlm/codec/encode.js';
import type { NlmLock } from '../../src/protocols/nlm/codec/types.js';
import { NLM_PROGRAM, NlmProc, NlmStatus } from '../../src/protocols/nlm/constants.js';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { AcceptStat } from '../../src/protocols/rpc/types.js';
import { Command } from '../../src/protocols/smb2/constants.js';
import type { XdrReader } from '../../src/protocols/xdr/reader.js';
import { XdrWriter } from '../../src/protocols/xdr/writer.js';
import { MountTestClient, Nfs3TestClient, authSys } from './helpers/nfs3-client.js';
import { Smb2TestClient, type Smb2FileId } from './helpers/smb2-client.js';
import { LOCKFLAG, lockBody, lockOf } from './smb2-lock-fixture.js';

const UID = 1000;

const { SHARED, EXCLUSIVE, UNLOCK, FAIL } = LOCKFLAG;
const STATUS = {
  PENDING: 0x103,
  FILE_LOCK_CONFLICT: 0xc0000054,
  LOCK_NOT_GRANTED: 0xc0000055,
  CANCELLED: 0xc0000120,
};
const cookie = Buffer.from('x');

/** NTLM login (SMB 2.1, no signing) and a tree connect to `share`. */
async function smbLogin(port: number, share: string): Promise<Smb2TestClient> {
  const c = await Smb2TestClient.connect(port);
  expect((await c.negotiate([0x0210])).status).toBe(0);
  const ntlm = new NtlmClient({ user: 'alice', password: 'alice-pw-1', domain: 'WORKGROUP' });
  let blob = ntlm.initialToken();
  for (;;) {
    const res = await c.sessionSetup(blob);
    if (res.status === 0) break;
    expect(res.status).toBe(0xc0000016);
    blob = ntlm.step(Smb2TestClient.securityBuffer(res))!;
  }
  expect((await c.treeConnect(`\\\\127.0.0.1\\${share}`)).status).toBe(0);
  return c;
}

describe('byte-range locks across NLM and SMB2 (one Runtime, one share)', () => {
  let f: ApiFixture;
  let rpc: RpcClient;
  let fh: Buffer;
  let smb: Smb2TestClient;
  let h: Smb2FileId;
  const api = (method: 'POST' | 'PUT', url: string, payload: object) =>
    f.api.inject({ method, url, headers: f.admin, payload });

  async function nlm(proc: number, enc: (w: XdrWriter) => void): Promise<XdrReader> {
    const w = new XdrWriter();
    enc(w);
    const r = await rpc.call(NLM_PROGRAM, 4, proc, w.toBuffer(), { cred: authSys(UID, UID) });
    if (r.kind !== 'accepted' || r.acceptStat !== AcceptStat.SUCCESS) throw new Error(`reply ${JSON.stringify(r)}`);
    return r.body;
  }
  const nlmLock = (host: string, offset: number, length: number): NlmLock => ({
    callerName: host,
    fh,
    oh: Buffer.from(`oh-${host}`),
    svid: 4242,
    offset: BigInt(offset),
    length: BigInt(length),
  });
  const lock = async (host: string, offset: number, length: number, o: { exclusive?: boolean; block?: boolean } = {}) =>
    decodeRes(
      await nlm(NlmProc.LOCK, (w) =>
        encodeLockArgs(w, 4, {
          cookie,
          block: o.block ?? false,
          exclusive: o.exclusive ?? true,
          lock: nlmLock(host, offset, length),
          reclaim: false,
          state: 1,
        }),
      ),
    ).stat;
  const unlock = async (host: string, offset: number, length: number) =>
    decodeRes(await nlm(NlmProc.UNLOCK, (w) => encodeUnlockArgs(w, 4, { cookie, lock: nlmLock(host, offset, length) })))
      .stat;
  const test = async (host: string, offset: number, length: number) =>
    decodeTestRes(
      await nlm(NlmProc.TEST, (w) =>
        encodeTestArgs(w, 4, { cookie, exclusive: true, lock: nlmLock(host, offset, length) }),
      ),
      4,
    );

  beforeAll(async () => {
    f = await startApiFixture({ lockGraceSeconds: 0, smb: { enabled: true, port: 0 } });
    rpc = await RpcClient.connect('127.0.0.1', f.server.runtime.port);
    for (const [method, url, body] of [
      ['POST', '/api/v1/stores/metadata', { name: 'm', type: 'memory' }],
      ['POST', '/api/v1/stores/block', { name: 'b', type: 'memory' }],
      ['POST', '/api/v1/users', { name: 'alice', password: 'alice-pw-1', uid: UID, gid: UID }],
      ['POST', '/api/v1/shares', { name: '/locks', metadataStore: 'm', blockStore: 'b', rootSquash: false }],
    ] as const) {
      const res = await api(method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    }
    const mnt = await new MountTestClient(rpc, authSys(0, 0)).mnt('/locks');
    expect(mnt.status, JSON.stringify(mnt)).toBe(0);
    const root = mnt.fh!;
    fh = (await new Nfs3TestClient(rpc, authSys(0, 0)).create(root, 'f', { mode: 'unchecked', set: { mode: 0o666 } }))
      .fh!;
    // Granted after the set-up above (root on NFS needs no grant while the share has none).
    await api('PUT', '/api/v1/shares/locks/permissions', { kind: 'user', name: 'alice', level: 'read-write' });
    smb = await smbLogin(f.server.runtime.smbPort, 'locks');
    const open = await smb.create('f', { disposition: 1 });
    expect(open.status).toBe(0);
    h = open.fileId;
    expect((await smb.write(h, 0, Buffer.alloc(4096, 7))).status).toBe(0);
  });
  afterAll(async () => {
    await smb.end();
    await rpc.close();
    await f.close();
  });

  it('an NLM exclusive lock refuses an SMB LOCK on the range and SMB READ/WRITE over it get FILE_LOCK_CONFLICT', async () => {
    expect(await lock('host-a', 0, 100)).toBe(NlmStatus.GRANTED);
    expect(await lockOf(smb, h, [[50, 10, EXCLUSIVE | FAIL]])).toBe(STATUS.LOCK_NOT_GRANTED);
    expect(await lockOf(smb, h, [[50, 10, SHARED | FAIL]])).toBe(STATUS.LOCK_NOT_GRANTED);
    expect((await smb.write(h, 90, Buffer.from('abcdefghijklmnop'))).status).toBe(STATUS.FILE_LOCK_CONFLICT);
    expect((await smb.read(h, 0, 10)).status).toBe(STATUS.FILE_LOCK_CONFLICT);
    // Outside the range, I/O and locks go on.
    expect((await smb.write(h, 100, Buffer.from('ok'))).status).toBe(0);
    expect(await lockOf(smb, h, [[100, 10, EXCLUSIVE | FAIL]])).toBe(0);
    expect(await lockOf(smb, h, [[100, 10, UNLOCK]])).toBe(0);
    expect(await unlock('host-a', 0, 100)).toBe(NlmStatus.GRANTED);
    expect((await smb.write(h, 90, Buffer.from('now'))).status).toBe(0);
  });

  it('an NLM shared lock lets SMB read but not write', async () => {
    expect(await lock('host-a', 1000, 10, { exclusive: false })).toBe(NlmStatus.GRANTED);
    expect((await smb.read(h, 1000, 10)).status).toBe(0);
    expect((await smb.write(h, 1005, Buffer.from('x'))).status).toBe(STATUS.FILE_LOCK_CONFLICT);
    expect(await lockOf(smb, h, [[1000, 10, SHARED | FAIL]])).toBe(0);
    expect(await lockOf(smb, h, [[1000, 10, UNLOCK]])).toBe(0);
    expect(await unlock('host-a', 1000, 10)).toBe(NlmStatus.GRANTED);
  });

  it('an SMB lock is reported by NLM TEST and refuses NLM LOCK; a blocking NLM lock gets it once SMB unlocks', async () => {
    expect(await lockOf(smb, h, [[200, 50, EXCLUSIVE | FAIL]])).toBe(0);
    const t = await test('host-b', 0, 0);
    expect(t.stat).toBe(NlmStatus.DENIED);
    expect(t).toMatchObject({ holder: { exclusive: true, offset: 200n, length: 50n } });
    expect(await lock('host-b', 210, 5)).toBe(NlmStatus.DENIED);
    expect(await lock('host-b', 210, 5, { block: true })).toBe(NlmStatus.BLOCKED);
    expect(await lockOf(smb, h, [[200, 50, UNLOCK]])).toBe(0);
    // The queued NLM lock was granted at the unlock (the GRANTED callback has no client to reach
    // here): another host's TEST now sees the NLM holder, and the blocked client's retry is GRANTED.
    const after = await test('host-c', 0, 0);
    expect(after).toMatchObject({ stat: NlmStatus.DENIED, holder: { svid: 4242, offset: 210n, length: 5n } });
    expect(await lock('host-b', 210, 5, { block: true })).toBe(NlmStatus.GRANTED);
    expect((await smb.write(h, 212, Buffer.from('x'))).status).toBe(STATUS.FILE_LOCK_CONFLICT);
    expect(await unlock('host-b', 210, 5)).toBe(NlmStatus.GRANTED);
  });

  it('a blocking SMB lock waits for an NLM lock and completes when NLM unlocks', async () => {
    expect(await lock('host-a', 300, 10)).toBe(NlmStatus.GRANTED);
    const w = smb.requestAsync(Command.LOCK, lockBody(h, [[305, 1, EXCLUSIVE]]));
    expect((await w.interim).status).toBe(STATUS.PENDING);
    expect(await unlock('host-a', 300, 10)).toBe(NlmStatus.GRANTED);
    expect((await w.final).status).toBe(0);
    expect((await test('host-a', 300, 10)).stat).toBe(NlmStatus.DENIED);
    expect(await lockOf(smb, h, [[305, 1, UNLOCK]])).toBe(0);
  });

  it('CANCEL ends an SMB wait on an NLM lock and leaves no waiter to take the range later', async () => {
    expect(await lock('host-a', 400, 10)).toBe(NlmStatus.GRANTED);
    const w = smb.requestAsync(Command.LOCK, lockBody(h, [[400, 10, EXCLUSIVE]]));
    const interim = await w.interim;
    smb.cancel({ asyncId: interim.hdr.asyncId });
    expect((await w.final).status).toBe(STATUS.CANCELLED);
    expect(await unlock('host-a', 400, 10)).toBe(NlmStatus.GRANTED);
    expect((await test('host-b', 400, 10)).stat).toBe(NlmStatus.GRANTED);
  });

  it('closing the SMB open releases its locks to NLM', async () => {
    const second = (await smb.create('f', { disposition: 1 })).fileId;
    expect(await lockOf(smb, second, [[500, 10, EXCLUSIVE | FAIL]])).toBe(0);
    expect(await lock('host-a', 500, 10)).toBe(NlmStatus.DENIED);
    expect((await smb.close(second)).status).toBe(0);
    expect(await lock('host-a', 500, 10)).toBe(NlmStatus.GRANTED);
    expect(await unlock('host-a', 500, 10)).toBe(NlmStatus.GRANTED);
  });
});
