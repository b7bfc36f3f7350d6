import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHandle } from '../../src/core/vfs/handle.js';
import { XdrWriter } from '../../src/protocols/xdr/writer.js';
import { authSys, Nfs3TestClient, ROOT } from './helpers/nfs3-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const OK = 0;
const NFS3ERR_NOENT = 2;
const NFS3ERR_ACCES = 13;

describe('NFSv3 credentials, export policy and retransmissions', () => {
  let srv: TestServer;
  let squashed: Buffer;
  let open: Buffer;

  beforeAll(async () => {
    srv = await startTestServer({
      shares: [
        { name: '/squashed', options: { rootSquash: true } },
        { name: '/open', options: { rootSquash: false } },
        { name: '/allsquash', options: { allSquash: true, anonUid: 4242, anonGid: 4343 } },
        { name: '/elsewhere', options: { allowedClients: ['10.77.0.0/16'] } },
      ],
    });
    squashed = await srv.rootOf('/squashed');
    open = await srv.rootOf('/open');
  });
  afterAll(() => srv.close());

  it('root is squashed to the anonymous identity when rootSquash is on', async () => {
    const res = await srv.nfs.create(squashed, 'by-root');
    expect(res.attr).toMatchObject({ uid: 65534, gid: 65534 });
    const kept = await srv.nfs.create(open, 'by-root');
    expect(kept.attr).toMatchObject({ uid: 0, gid: 0 });
  });

  it('an ordinary AUTH_SYS caller keeps its identity; AUTH_NONE is anonymous', async () => {
    const user = await srv.nfs.as(authSys(1000, 100)).create(open, 'by-user');
    expect(user.attr).toMatchObject({ uid: 1000, gid: 100 });
    const anon = await srv.nfs.as('none').create(open, 'by-nobody');
    expect(anon.attr).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it("allSquash maps everyone to the share's anonUid/anonGid", async () => {
    const root = await srv.rootOf('/allsquash');
    const res = await srv.nfs.as(authSys(1000, 100)).create(root, 'f');
    expect(res.attr).toMatchObject({ uid: 4242, gid: 4343 });
  });

  it('a client outside allowedClients gets ACCES even with a forged handle', async () => {
    const share = srv.shares.byName('/elsewhere')!;
    const attr = await share.vfs.getattr(share.vfs.root());
    const fh = encodeHandle({ shareId: share.id, id: attr.id, generation: attr.generation });
    expect((await srv.nfs.getattr(fh)).status).toBe(NFS3ERR_ACCES);
  });

  it('a retransmitted REMOVE (same xid) is answered from the duplicate request cache', async () => {
    await srv.nfs.create(open, 'once');
    const args = new XdrWriter().opaque(open).string('once').toBuffer();
    const xid = 0x5eed;
    const first = await srv.nfs.rpc.call(100003, 3, 12, args, { cred: ROOT, xid });
    const again = await srv.nfs.rpc.call(100003, 3, 12, args, { cred: ROOT, xid });
    const status = (r: typeof first) => (r.kind === 'accepted' ? r.body.uint32() : -1);
    expect(status(first)).toBe(OK);
    expect(status(again)).toBe(OK);
    const fresh = await new Nfs3TestClient(srv.nfs.rpc).remove(open, 'once');
    expect(fresh.status).toBe(NFS3ERR_NOENT);
  });
});

describe('write verifier', () => {
  it('differs between two server starts when none is passed in', async () => {
    const verfs: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      const srv = await startTestServer();
      try {
        const root = await srv.rootOf('/export');
        const { fh } = await srv.nfs.create(root, 'f');
        verfs.push((await srv.nfs.write(fh!, 0, Buffer.from('x'), 0)).verf!);
        expect((await srv.nfs.commit(fh!)).verf).toEqual(verfs[i]);
      } finally {
        await srv.close();
      }
    }
    expect(verfs[0]).toHaveLength(8);
    expect(verfs[0].equals(verfs[1])).toBe(false);
  });
});
