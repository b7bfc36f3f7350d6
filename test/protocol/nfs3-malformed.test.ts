import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceptStat, AuthStat } from '../../src/protocols/rpc/types.js';
import { XdrWriter } from '../../src/protocols/xdr/writer.js';
import { encodeHandle } from '../../src/core/vfs/handle.js';
import { Nfs3TestClient, ROOT } from './helpers/nfs3-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const NFS3ERR_BADHANDLE = 10001;
const NFS3ERR_STALE = 70;

describe('NFSv3 hostile and malformed input', () => {
  let srv: TestServer;
  let root: Buffer;

  beforeAll(async () => {
    srv = await startTestServer({
      shares: [{ name: '/export' }, { name: '/secure', options: { requirePrivilegedPort: true } }],
    });
    root = await srv.rootOf('/export');
  });
  afterAll(() => srv.close());

  it('answers GARBAGE_ARGS to truncated arguments of every procedure', async () => {
    for (let proc = 1; proc <= 21; proc++) {
      const reply = await srv.nfs.raw(proc, Buffer.from([0, 0, 0]));
      expect(reply.kind === 'accepted' && reply.acceptStat, `proc ${proc}`).toBe(AcceptStat.GARBAGE_ARGS);
    }
  });

  it('answers GARBAGE_ARGS to a handle longer than 64 bytes', async () => {
    const reply = await srv.nfs.raw(1, new XdrWriter().opaque(Buffer.alloc(65)).toBuffer());
    expect(reply.kind === 'accepted' && reply.acceptStat).toBe(AcceptStat.GARBAGE_ARGS);
  });

  it('answers GARBAGE_ARGS to an invalid enum (stable_how 7)', async () => {
    const w = new XdrWriter().opaque(root).uint64(0).uint32(1).uint32(7).opaque(Buffer.from('x'));
    const reply = await srv.nfs.raw(7, w.toBuffer());
    expect(reply.kind === 'accepted' && reply.acceptStat).toBe(AcceptStat.GARBAGE_ARGS);
  });

  it('answers GARBAGE_ARGS to a name length beyond the input', async () => {
    const w = new XdrWriter().opaque(root).uint32(1000).uint32(0);
    const reply = await srv.nfs.raw(3, w.toBuffer());
    expect(reply.kind === 'accepted' && reply.acceptStat).toBe(AcceptStat.GARBAGE_ARGS);
  });

  it('answers PROC_UNAVAIL to procedure 22 and PROG_MISMATCH (3..3) to NFSv2', async () => {
    const reply = await srv.nfs.raw(22, Buffer.alloc(0));
    expect(reply.kind === 'accepted' && reply.acceptStat).toBe(AcceptStat.PROC_UNAVAIL);
    const v2 = await srv.nfs.rpc.call(100003, 2, 0, Buffer.alloc(0));
    expect(v2.kind === 'accepted' && v2.acceptStat).toBe(AcceptStat.PROG_MISMATCH);
    expect(v2.kind === 'accepted' && v2.mismatch).toEqual({ low: 3, high: 3 });
  });

  it('answers NFS3ERR_BADHANDLE to malformed handles', async () => {
    expect((await srv.nfs.getattr(Buffer.alloc(0))).status).toBe(NFS3ERR_BADHANDLE);
    expect((await srv.nfs.getattr(Buffer.alloc(20, 0xee))).status).toBe(NFS3ERR_BADHANDLE);
    expect((await srv.nfs.getattr(Buffer.concat([root, Buffer.alloc(4)]))).status).toBe(NFS3ERR_BADHANDLE);
  });

  it('answers NFS3ERR_STALE to a well-formed handle of an unknown share or file', async () => {
    expect((await srv.nfs.getattr(encodeHandle({ shareId: 99, id: 1, generation: 0 }))).status).toBe(NFS3ERR_STALE);
    expect((await srv.nfs.getattr(encodeHandle({ shareId: 1, id: 123456, generation: 0 }))).status).toBe(NFS3ERR_STALE);
  });

  it('refuses calls from an unprivileged port with AUTH_TOOWEAK when the export requires one', async () => {
    const share = srv.shares.byName('/secure')!;
    const attr = await share.vfs.getattr(share.vfs.root());
    const fh = encodeHandle({ shareId: share.id, id: attr.id, generation: attr.generation });
    const reply = await new Nfs3TestClient(srv.nfs.rpc, ROOT).raw(1, new XdrWriter().opaque(fh).toBuffer());
    expect(reply.kind).toBe('denied');
    expect(reply.kind === 'denied' && reply.authStat).toBe(AuthStat.AUTH_TOOWEAK);
  });

  it('keeps serving the connection after all of the above', async () => {
    expect((await srv.nfs.getattr(root)).status).toBe(0);
  });
});
