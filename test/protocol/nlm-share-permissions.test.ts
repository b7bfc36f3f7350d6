// NLM asks the share permissions and the export's client rules, as MOUNT and
// NFS do: a client that never mounted (or has no grant) cannot lock, a
// read-only grant takes only shared locks, and a client whose access was
// revoked can still release what it holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture, type ApiFixture } from '../../src/controlplane/api/test-server.js';
import { decodeRes, decodeShareRes, decodeTestRes } from '../../src/protocols/nlm/codec/decode.js';
import {
  encodeCancelArgs,
  encodeLockArgs,
  encodeShareArgs,
  encodeTestArgs,
  encodeUnlockArgs,
} from '../../src/protocols/nlm/codec/encode.js';
import type { NlmLock } from '../../src/protocols/nlm/codec/types.js';
import { FshAccess, FshMode, NLM_PROGRAM, NlmProc, NlmStatus } from '../../src/protocols/nlm/constants.js';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { AcceptStat } from '../../src/protocols/rpc/types.js';
import type { XdrReader } from '../../src/protocols/xdr/reader.js';
import { XdrWriter } from '../../src/protocols/xdr/writer.js';
import { MountTestClient, Nfs3TestClient, authSys } from './helpers/nfs3-client.js';

const READER = 1000;
const WRITER = 1001;
const STRANGER = 4242;
const cookie = Buffer.from('c');

describe('NLM against share permissions (Runtime with a control plane)', () => {
  let f: ApiFixture;
  let rpc: RpcClient;
  let file: Buffer;
  const api = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    f.api.inject({ method, url, headers: f.admin, ...(payload ? { payload } : {}) });

  async function nlm(uid: number, proc: number, vers: number, enc: (w: XdrWriter) => void): Promise<XdrReader> {
    const w = new XdrWriter();
    enc(w);
    const r = await rpc.call(NLM_PROGRAM, vers, proc, w.toBuffer(), { cred: authSys(uid, uid) });
    if (r.kind !== 'accepted' || r.acceptStat !== AcceptStat.SUCCESS) throw new Error(`reply ${JSON.stringify(r)}`);
    return r.body;
  }
  const lockOf = (uid: number, over: Partial<NlmLock> = {}): NlmLock => ({
    callerName: `host-${uid}`,
    fh: file,
    oh: Buffer.from(`owner-${uid}`),
    svid: uid,
    offset: 0n,
    length: 10n,
    ...over,
  });
  const lock = async (uid: number, exclusive: boolean, vers = 4, over: Partial<NlmLock> = {}) =>
    decodeRes(
      await nlm(uid, NlmProc.LOCK, vers, (w) =>
        encodeLockArgs(w, vers, {
          cookie,
          block: false,
          exclusive,
          lock: lockOf(uid, over),
          reclaim: false,
          state: 1,
        }),
      ),
    ).stat;
  const unlock = async (uid: number, over: Partial<NlmLock> = {}) =>
    decodeRes(await nlm(uid, NlmProc.UNLOCK, 4, (w) => encodeUnlockArgs(w, 4, { cookie, lock: lockOf(uid, over) })))
      .stat;
  const test = async (uid: number, exclusive: boolean, vers = 4) =>
    decodeTestRes(
      await nlm(uid, NlmProc.TEST, vers, (w) => encodeTestArgs(w, vers, { cookie, exclusive, lock: lockOf(uid) })),
      vers,
    ).stat;
  const share = async (uid: number, proc: NlmProc.SHARE | NlmProc.UNSHARE, access: FshAccess, mode = FshMode.DN) =>
    decodeShareRes(
      await nlm(uid, proc, 4, (w) =>
        encodeShareArgs(w, {
          cookie,
          share: { callerName: `host-${uid}`, fh: file, oh: Buffer.from(`sh-${uid}`), access, mode },
          reclaim: false,
        }),
      ),
    ).stat;

  beforeAll(async () => {
    f = await startApiFixture({ lockGraceSeconds: 0 });
    rpc = await RpcClient.connect('127.0.0.1', f.server.runtime.port);
    await api('POST', '/api/v1/stores/metadata', { name: 'm', type: 'memory' });
    await api('POST', '/api/v1/stores/block', { name: 'b', type: 'memory' });
    await api('POST', '/api/v1/users', { name: 'reader', password: 'reader-pw-1', uid: READER, gid: READER });
    await api('POST', '/api/v1/users', { name: 'writer', password: 'writer-pw-1', uid: WRITER, gid: WRITER });
    await api('POST', '/api/v1/shares', { name: '/locks', metadataStore: 'm', blockStore: 'b', rootSquash: false });
    const root = (await new MountTestClient(rpc, authSys(0, 0)).mnt('/locks')).fh!;
    file = (await new Nfs3TestClient(rpc, authSys(0, 0)).create(root, 'f', { mode: 'unchecked', set: { mode: 0o666 } }))
      .fh!;
    await api('PUT', '/api/v1/shares/locks/permissions', { kind: 'user', name: 'reader', level: 'read' });
    await api('PUT', '/api/v1/shares/locks/permissions', { kind: 'user', name: 'writer', level: 'read-write' });
  });
  afterAll(async () => {
    await rpc.close();
    await f.close();
  });

  it('no grant: TEST, LOCK, NM_LOCK and SHARE fail (NLM4_FAILED; DENIED_NOLOCKS for v1 and v3)', async () => {
    expect(await test(STRANGER, false)).toBe(NlmStatus.FAILED);
    expect(await lock(STRANGER, false)).toBe(NlmStatus.FAILED);
    expect(await lock(STRANGER, true)).toBe(NlmStatus.FAILED);
    expect(await lock(STRANGER, false, 3)).toBe(NlmStatus.DENIED_NOLOCKS);
    expect(await lock(STRANGER, false, 1)).toBe(NlmStatus.DENIED_NOLOCKS);
    expect(await test(STRANGER, false, 1)).toBe(NlmStatus.DENIED_NOLOCKS);
    const nm = decodeRes(
      await nlm(STRANGER, NlmProc.NM_LOCK, 4, (w) =>
        encodeLockArgs(w, 4, {
          cookie,
          block: false,
          exclusive: false,
          lock: lockOf(STRANGER),
          reclaim: false,
          state: 0,
        }),
      ),
    ).stat;
    expect(nm).toBe(NlmStatus.FAILED);
    expect(await share(STRANGER, NlmProc.SHARE, FshAccess.R)).toBe(NlmStatus.FAILED);
    // Nothing of its own to give up: UNLOCK, CANCEL and UNSHARE are refused too.
    expect(await unlock(STRANGER)).toBe(NlmStatus.FAILED);
    const cancel = decodeRes(
      await nlm(STRANGER, NlmProc.CANCEL, 4, (w) =>
        encodeCancelArgs(w, 4, { cookie, block: true, exclusive: false, lock: lockOf(STRANGER) }),
      ),
    ).stat;
    expect(cancel).toBe(NlmStatus.FAILED);
    expect(await share(STRANGER, NlmProc.UNSHARE, FshAccess.R)).toBe(NlmStatus.FAILED);
    // AUTH_NONE callers have no grant either.
    const anon = await rpc.call(
      NLM_PROGRAM,
      4,
      NlmProc.LOCK,
      (() => {
        const w = new XdrWriter();
        encodeLockArgs(w, 4, { cookie, block: false, exclusive: false, lock: lockOf(7), reclaim: false, state: 1 });
        return w.toBuffer();
      })(),
    );
    if (anon.kind !== 'accepted') throw new Error('rejected');
    expect(decodeRes(anon.body).stat).toBe(NlmStatus.FAILED);
  });

  it('read grant: TEST and shared locks and read reservations; exclusive locks and write reservations fail', async () => {
    expect(await test(READER, true)).toBe(NlmStatus.GRANTED);
    expect(await lock(READER, false)).toBe(NlmStatus.GRANTED);
    expect(await lock(READER, true, 4, { offset: 100n })).toBe(NlmStatus.FAILED);
    expect(await lock(READER, true, 3, { offset: 100n })).toBe(NlmStatus.DENIED_NOLOCKS);
    expect(await share(READER, NlmProc.SHARE, FshAccess.R, FshMode.DW)).toBe(NlmStatus.GRANTED);
    expect(await share(READER, NlmProc.SHARE, FshAccess.RW)).toBe(NlmStatus.FAILED);
    expect(await share(READER, NlmProc.UNSHARE, FshAccess.R, FshMode.DW)).toBe(NlmStatus.GRANTED);
    expect(await unlock(READER)).toBe(NlmStatus.GRANTED);
  });

  it('read-write grant locks exclusively; after the grant is revoked it can still unlock what it holds', async () => {
    expect(await lock(WRITER, true)).toBe(NlmStatus.GRANTED);
    expect(await lock(READER, false)).toBe(NlmStatus.DENIED);
    expect(await share(WRITER, NlmProc.SHARE, FshAccess.RW)).toBe(NlmStatus.GRANTED);
    expect((await api('DELETE', '/api/v1/shares/locks/permissions/user/writer')).statusCode).toBe(204);
    expect(await lock(WRITER, true, 4, { offset: 200n })).toBe(NlmStatus.FAILED);
    // Another owner of the same host holds nothing here: refused.
    expect(await unlock(WRITER, { oh: Buffer.from('other') })).toBe(NlmStatus.FAILED);
    expect(await unlock(WRITER)).toBe(NlmStatus.GRANTED);
    expect(await share(WRITER, NlmProc.UNSHARE, FshAccess.RW)).toBe(NlmStatus.GRANTED);
    expect(await lock(READER, false)).toBe(NlmStatus.GRANTED);
    expect(await unlock(READER)).toBe(NlmStatus.GRANTED);
    await api('PUT', '/api/v1/shares/locks/permissions', { kind: 'user', name: 'writer', level: 'read-write' });
  });

  it('a read-only share takes no exclusive lock; a client outside allowedClients takes none', async () => {
    expect((await api('PATCH', '/api/v1/shares/locks', { readOnly: true })).statusCode).toBe(200);
    expect(await lock(WRITER, true)).toBe(NlmStatus.FAILED);
    expect(await lock(WRITER, false)).toBe(NlmStatus.GRANTED);
    expect(await unlock(WRITER)).toBe(NlmStatus.GRANTED);
    expect(
      (await api('PATCH', '/api/v1/shares/locks', { readOnly: false, allowedClients: ['10.0.0.0/8'] })).statusCode,
    ).toBe(200);
    expect(await lock(WRITER, false)).toBe(NlmStatus.FAILED);
    expect(await test(WRITER, false)).toBe(NlmStatus.FAILED);
    expect((await api('PATCH', '/api/v1/shares/locks', { allowedClients: ['127.0.0.0/8'] })).statusCode).toBe(200);
    expect(await lock(WRITER, true)).toBe(NlmStatus.GRANTED);
    expect(await unlock(WRITER)).toBe(NlmStatus.GRANTED);
  });
});
