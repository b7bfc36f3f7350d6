// Cross-protocol caching and share modes (docs/locking.md "Across
// protocols"): an SMB client's lease is broken before an NFSv3 WRITE,
// SETATTR of the size, READ, REMOVE or RENAME acts on the file, and before an
// NLM exclusive lock is granted; NLM SHARE reservations and SMB share modes
// refuse each other. One Share (one VFS, one lock manager) is served by an
// SMB server and by NFSv3 + NLM.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLockManager, type LockManager } from '../../src/core/locks/index.js';
import { decodeRes, decodeShareRes } from '../../src/protocols/nlm/codec/decode.js';
import { encodeLockArgs, encodeShareArgs } from '../../src/protocols/nlm/codec/encode.js';
import { FshAccess, FshMode, NLM_PROGRAM, NlmProc, NlmStatus } from '../../src/protocols/nlm/constants.js';
import { createNlmProgram } from '../../src/protocols/nlm/index.js';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { RpcServer } from '../../src/protocols/rpc/server.js';
import { AcceptStat } from '../../src/protocols/rpc/types.js';
import type { XdrReader } from '../../src/protocols/xdr/reader.js';
import { XdrWriter } from '../../src/protocols/xdr/writer.js';
import { ROOT } from './helpers/nfs3-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import {
  READ,
  READ_WRITE,
  SHARE_ALL,
  SHARE_READ,
  STATUS_SHARING_VIOLATION,
  WRITE,
  ackLease,
  breaks,
  connectClient,
  create,
  leaseContext,
  leaseKey,
  stillPending,
  waitForBreaks,
} from './smb2-lease-fixture.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const LEASE = 0xff;
const R = 1;
const H = 2;
const W = 4;
const JUKEBOX = 10008;

describe('SMB leases and share modes across NFSv3 and NLM', () => {
  let lm: LockManager;
  let nfs: TestServer;
  let smb: Smb2TestServer;
  let nlmServer: RpcServer;
  let nlmRpc: RpcClient;
  let root: Buffer;

  beforeEach(async () => {
    // The holder has 2 s to answer; an NFS request waits 300 ms, then answers JUKEBOX.
    lm = createLockManager({ breakTimeoutMs: 2000 });
    nfs = await startTestServer({ nfs: { locks: () => lm, leaseBreakWaitMs: 300 } });
    smb = await startSmb2TestServer({ server: { locks: () => lm } });
    smb.shares.set('/export', nfs.shares.byId(1)!);
    nlmServer = new RpcServer({ programs: [createNlmProgram({ shares: nfs.shares, locks: () => lm })] });
    const { port } = await nlmServer.listenTcp(0, '127.0.0.1');
    nlmRpc = await RpcClient.connect('127.0.0.1', port);
    root = await nfs.rootOf('/export');
  });
  afterEach(async () => {
    await nlmRpc.close();
    await nlmServer.close();
    await smb.close();
    await nfs.close();
    await lm.close();
  });

  /** A file made over SMB (by alice, who may then write it), held by that SMB client with a lease. */
  async function leased(name: string, state: number, access = READ_WRITE) {
    const a = await connectClient(smb.port, 1);
    const key = leaseKey(name.length);
    const open = await create(a, name, { access, oplock: LEASE, contexts: leaseContext(key, state) });
    expect(open.lease?.state).toBe(state);
    const found = await nfs.nfs.lookup(root, name);
    expect(found.status).toBe(0);
    return { a, key, open, fh: found.fh! };
  }

  it('breaks an SMB write lease before an NFS WRITE, which waits for the acknowledgment', async () => {
    const { a, key, open, fh } = await leased('w.txt', R | W | H);
    const write = nfs.nfs.write(fh, 0, Buffer.from('from nfs'));
    const [brk] = await waitForBreaks(a);
    expect(brk.current).toBe(R | W | H);
    expect(brk.next).toBe(H);
    expect(brk.flags).toBe(1);
    expect(await stillPending(write, 50)).toBe(true);
    // The SMB client writes back what it cached, then acknowledges.
    expect((await a.write(open.fileId, 0, Buffer.from('from smb, flushed'))).status).toBe(0);
    expect((await ackLease(a, key, H)).status).toBe(0);
    expect((await write).status).toBe(0);
    const back = await nfs.nfs.read(fh, 0, 100);
    // The SMB client's flushed data came first, the NFS write over it.
    expect(back.data?.toString()).toBe('from nfs, flushed');
  });

  it('answers NFS3ERR_JUKEBOX while the holder takes longer than the NFS wait, and OK once it answered', async () => {
    const { a, key, fh } = await leased('j.txt', R | W | H);
    const started = Date.now();
    expect((await nfs.nfs.write(fh, 0, Buffer.from('x'))).status).toBe(JUKEBOX);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await waitForBreaks(a);
    expect((await ackLease(a, key, H)).status).toBe(0);
    // The client's retry.
    expect((await nfs.nfs.write(fh, 0, Buffer.from('x'))).status).toBe(0);
  });

  it('breaks before SETATTR of the size, and leaves leases alone for other attributes', async () => {
    const { a, key, fh } = await leased('s.txt', R | W | H);
    expect((await nfs.nfs.setattr(fh, { mode: 0o600 })).status).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(breaks(a)).toHaveLength(0);
    const trunc = nfs.nfs.setattr(fh, { size: 0 });
    const [brk] = await waitForBreaks(a);
    expect(brk.next).toBe(H);
    await ackLease(a, key, H);
    expect((await trunc).status).toBe(0);
  });

  it('breaks write caching (only) before an NFS READ', async () => {
    const { a, key, fh } = await leased('r.txt', R | W | H);
    const read = nfs.nfs.read(fh, 0, 10);
    const [brk] = await waitForBreaks(a);
    expect(brk.next).toBe(R | H);
    await ackLease(a, key, R | H);
    expect((await read).status).toBe(0);
  });

  it('breaks handle caching before an NFS REMOVE; the SMB client closes its handle and the remove goes on', async () => {
    const { a, open } = await leased('rm.txt', R | H, READ);
    const remove = nfs.nfs.remove(root, 'rm.txt');
    const [brk] = await waitForBreaks(a);
    expect(brk.current).toBe(R | H);
    expect(brk.next).toBe(R);
    await a.close(open.fileId);
    expect((await remove).status).toBe(0);
  });

  it('breaks handle caching of the source and of a replaced target before an NFS RENAME', async () => {
    const src = await leased('from.txt', R | H, READ);
    const b = await connectClient(smb.port, 2);
    const target = await create(b, 'to.txt', {
      access: READ,
      oplock: LEASE,
      contexts: leaseContext(leaseKey(77), R | H),
    });
    expect(target.lease?.state).toBe(R | H);
    const rename = nfs.nfs.rename(root, 'from.txt', root, 'to.txt');
    const [s1] = await waitForBreaks(src.a);
    expect(s1.next).toBe(R);
    await ackLease(src.a, src.key, R);
    const [t1] = await waitForBreaks(b);
    expect(t1.next).toBe(R);
    await ackLease(b, leaseKey(77), R);
    expect((await rename).status).toBe(0);
  });

  it('breaks read caching of a directory lease when NFS removes or renames an entry in it', async () => {
    const a = await connectClient(smb.port, 1);
    expect((await create(a, 'd', { options: 1, disposition: 2, access: READ })).status).toBe(0);
    const made = await create(a, 'd\\x.txt', { access: READ_WRITE });
    await a.close(made.fileId);
    const dirKey = leaseKey(50);
    const dir = await create(a, 'd', {
      options: 1,
      access: READ,
      oplock: LEASE,
      contexts: leaseContext(dirKey, R | H, {}),
    });
    expect(dir.lease?.state).toBe(R | H);
    const d = (await nfs.nfs.lookup(root, 'd')).fh!;
    const rename = nfs.nfs.rename(d, 'x.txt', d, 'y.txt');
    const [brk] = await waitForBreaks(a);
    expect(brk.key).toEqual(dirKey);
    expect(brk.next).toBe(H);
    await ackLease(a, dirKey, H);
    expect((await rename).status).toBe(0);
  });

  async function nlm(proc: number, enc: (w: XdrWriter) => void): Promise<XdrReader> {
    const w = new XdrWriter();
    enc(w);
    const r = await nlmRpc.call(NLM_PROGRAM, 4, proc, w.toBuffer(), { cred: ROOT });
    if (r.kind !== 'accepted' || r.acceptStat !== AcceptStat.SUCCESS) throw new Error(`reply ${JSON.stringify(r)}`);
    return r.body;
  }

  it('breaks an SMB read/write lease before an NLM exclusive lock is granted', async () => {
    const { a, key, fh } = await leased('lock.txt', R | W);
    const lock = (block: boolean) =>
      nlm(NlmProc.LOCK, (w) =>
        encodeLockArgs(w, 4, {
          cookie: Buffer.from('c'),
          block,
          exclusive: true,
          lock: { callerName: 'nfs-host', fh, oh: Buffer.from('owner'), svid: 1, offset: 0n, length: 10n },
          reclaim: false,
          state: 1,
        }),
      ).then(decodeRes);
    // A non-blocking lock does not wait for the break: refused for now (the client retries).
    expect((await lock(false)).stat).toBe(NlmStatus.DENIED_NOLOCKS);
    const [brk] = await waitForBreaks(a);
    expect(brk.current).toBe(R | W);
    expect(brk.next).toBe(0);
    const blocking = lock(true);
    expect(await stillPending(blocking, 50)).toBe(true);
    expect((await ackLease(a, key, 0)).status).toBe(0);
    expect((await blocking).stat).toBe(NlmStatus.GRANTED);
  });

  it('makes NLM SHARE reservations and SMB share modes refuse each other', async () => {
    const a = await connectClient(smb.port, 1);
    const made = await create(a, 'dos.txt', { access: READ_WRITE });
    await a.close(made.fileId);
    const fh = (await nfs.nfs.lookup(root, 'dos.txt')).fh!;
    const share = (mode: FshMode, access: FshAccess, oh: string) =>
      nlm(NlmProc.SHARE, (w) =>
        encodeShareArgs(w, {
          cookie: Buffer.from('c'),
          share: { callerName: 'dos-host', fh, oh: Buffer.from(oh), mode, access },
          reclaim: false,
        }),
      ).then(decodeShareRes);
    // NLM: read access, deny write.
    expect((await share(FshMode.DW, FshAccess.R, 'one')).stat).toBe(NlmStatus.GRANTED);
    expect((await create(a, 'dos.txt', { access: WRITE, share: SHARE_ALL })).status).toBe(STATUS_SHARING_VIOLATION);
    const reader = await create(a, 'dos.txt', { access: READ, share: SHARE_ALL });
    expect(reader.status).toBe(0);
    // SMB: read-write, sharing read only → an NLM SHARE asking for write is denied.
    expect((await create(a, 'dos2.txt', { access: READ_WRITE, share: SHARE_READ, disposition: 2 })).status).toBe(0);
    const fh2 = (await nfs.nfs.lookup(root, 'dos2.txt')).fh!;
    const denied = await nlm(NlmProc.SHARE, (w) =>
      encodeShareArgs(w, {
        cookie: Buffer.from('c'),
        share: { callerName: 'dos-host', fh: fh2, oh: Buffer.from('two'), mode: FshMode.DN, access: FshAccess.W },
        reclaim: false,
      }),
    ).then(decodeShareRes);
    expect(denied.stat).toBe(NlmStatus.DENIED);
  });
});
