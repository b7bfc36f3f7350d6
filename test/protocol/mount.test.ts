import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHandle } from '../../src/core/vfs/handle.js';
import { MountTestClient, ROOT } from './helpers/nfs3-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const MNT3ERR_NOENT = 2;
const MNT3ERR_ACCES = 13;
const PROC_UNAVAIL = 3;

describe('MOUNT v3 over TCP', () => {
  let srv: TestServer;

  beforeAll(async () => {
    srv = await startTestServer({
      shares: [
        { name: '/export' },
        { name: '/private', options: { allowedClients: ['10.9.0.0/16'] } },
        { name: '/secure', options: { requirePrivilegedPort: true } },
      ],
    });
  });
  afterAll(() => srv.close());

  it('answers NULL', async () => {
    await expect(srv.mount.null()).resolves.toBeUndefined();
  });

  it('MNT returns the root handle of the named export and offers AUTH_SYS first', async () => {
    const res = await srv.mount.mnt('/export');
    expect(res.status).toBe(0);
    const h = decodeHandle(res.fh!);
    const share = srv.shares.byName('/export')!;
    expect(h.shareId).toBe(share.id);
    expect(h.id).toBe(share.vfs.root());
    expect(res.flavors).toEqual([1, 0]);
    const attr = await srv.nfs.getattr(res.fh!);
    expect(attr.attr?.type).toBe(2);
  });

  it('MNT accepts a trailing slash', async () => {
    const res = await srv.mount.mnt('/export/');
    expect(res.status).toBe(0);
  });

  it('MNT of an unknown path is MNT3ERR_NOENT', async () => {
    expect((await srv.mount.mnt('/nope')).status).toBe(MNT3ERR_NOENT);
    expect((await srv.mount.mnt('/export/sub')).status).toBe(MNT3ERR_NOENT);
  });

  it('MNT from an address outside allowedClients is MNT3ERR_ACCES', async () => {
    expect((await srv.mount.mnt('/private')).status).toBe(MNT3ERR_ACCES);
  });

  it('MNT from an unprivileged port of an export requiring one is MNT3ERR_ACCES', async () => {
    expect((await srv.mount.mnt('/secure')).status).toBe(MNT3ERR_ACCES);
  });

  it('DUMP lists mounts per client host; UMNT and UMNTALL remove them', async () => {
    const other = new MountTestClient(await srv.connect(), ROOT);
    await other.umntall();
    await other.mnt('/export');
    expect(await other.dump()).toContainEqual({ host: '127.0.0.1', dir: '/export' });
    await other.umnt('/export');
    expect(await other.dump()).not.toContainEqual({ host: '127.0.0.1', dir: '/export' });
    await other.mnt('/export');
    await other.umntall();
    expect(await other.dump()).toEqual([]);
  });

  it('EXPORT lists every export with its allowedClients as groups', async () => {
    const list = await srv.mount.export();
    expect(list).toEqual([
      { dir: '/export', groups: [] },
      { dir: '/private', groups: ['10.9.0.0/16'] },
      { dir: '/secure', groups: [] },
    ]);
  });

  it('serves EXPORT in v1 (showmount) but not MNT, which would need NFSv2 handles', async () => {
    const v1 = new MountTestClient(srv.mount.rpc, ROOT, 1);
    expect((await v1.export()).map((e) => e.dir)).toContain('/export');
    await expect(v1.mnt('/export')).rejects.toMatchObject({ reply: { acceptStat: PROC_UNAVAIL } });
  });
});
