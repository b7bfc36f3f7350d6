import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSys } from './helpers/nfs3-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const OK = 0;
const S = {
  NOENT: 2,
  ACCES: 13,
  EXIST: 17,
  XDEV: 18,
  NOTDIR: 20,
  ISDIR: 21,
  INVAL: 22,
  ROFS: 30,
  NAMETOOLONG: 63,
  NOTEMPTY: 66,
  STALE: 70,
};

describe('NFSv3 namespace procedures and their errors', () => {
  let srv: TestServer;
  let root: Buffer;
  let roRoot: Buffer;

  beforeAll(async () => {
    srv = await startTestServer({
      shares: [{ name: '/export' }, { name: '/ro', options: { readOnly: true } }],
    });
    root = await srv.rootOf('/export');
    roRoot = await srv.rootOf('/ro');
  });
  afterAll(() => srv.close());

  it('MKDIR creates a directory; a second MKDIR is EXIST', async () => {
    const res = await srv.nfs.mkdir(root, 'd1', { mode: 0o755 });
    expect(res.status).toBe(OK);
    expect(res.attr).toMatchObject({ type: 2, mode: 0o755 });
    expect(res.dirWcc.after?.nlink).toBeGreaterThanOrEqual(3);
    expect((await srv.nfs.mkdir(root, 'd1')).status).toBe(S.EXIST);
  });

  it('LOOKUP of a missing name is NOENT with the directory attributes', async () => {
    const res = await srv.nfs.lookup(root, 'missing');
    expect(res.status).toBe(S.NOENT);
    expect(res.dirAttr?.type).toBe(2);
  });

  it('LOOKUP and CREATE inside a regular file are NOTDIR', async () => {
    const { fh } = await srv.nfs.create(root, 'f-notdir');
    expect((await srv.nfs.lookup(fh!, 'x')).status).toBe(S.NOTDIR);
    expect((await srv.nfs.create(fh!, 'x')).status).toBe(S.NOTDIR);
  });

  it('READ and WRITE of a directory are ISDIR; REMOVE of a directory is refused', async () => {
    const d = await srv.nfs.mkdir(root, 'd-isdir');
    expect((await srv.nfs.read(d.fh!, 0, 10)).status).toBe(S.ISDIR);
    expect((await srv.nfs.write(d.fh!, 0, Buffer.from('x'))).status).toBe(S.ISDIR);
    expect([S.ISDIR, 1]).toContain((await srv.nfs.remove(root, 'd-isdir')).status);
  });

  it('RMDIR of a non-empty directory is NOTEMPTY; of a file NOTDIR; empty succeeds', async () => {
    const d = await srv.nfs.mkdir(root, 'd-full');
    await srv.nfs.create(d.fh!, 'child');
    const full = await srv.nfs.rmdir(root, 'd-full');
    expect(full.status).toBe(S.NOTEMPTY);
    expect(full.dirWcc.after?.type).toBe(2);
    await srv.nfs.create(root, 'f-rmdir');
    expect((await srv.nfs.rmdir(root, 'f-rmdir')).status).toBe(S.NOTDIR);
    expect((await srv.nfs.remove(d.fh!, 'child')).status).toBe(OK);
    const ok = await srv.nfs.rmdir(root, 'd-full');
    expect(ok.status).toBe(OK);
    expect(ok.dirWcc.before).toBeDefined();
  });

  it('a non-root caller is refused with ACCES inside a 0700 directory owned by root', async () => {
    const d = await srv.nfs.mkdir(root, 'private', { mode: 0o700 });
    await srv.nfs.create(d.fh!, 'secret');
    const user = srv.nfs.as(authSys(1000, 1000));
    expect((await user.lookup(d.fh!, 'secret')).status).toBe(S.ACCES);
    const created = await user.create(d.fh!, 'mine');
    expect(created.status).toBe(S.ACCES);
    expect(created.dirWcc.after?.mode).toBe(0o700);
    expect((await user.readdir(d.fh!, 0n, Buffer.alloc(8), 4096)).status).toBe(S.ACCES);
    expect((await user.access(d.fh!, 0x3f)).access).toBe(0);
  });

  it('a handle whose file was removed is STALE', async () => {
    const { fh } = await srv.nfs.create(root, 'doomed');
    expect((await srv.nfs.remove(root, 'doomed')).status).toBe(OK);
    expect((await srv.nfs.getattr(fh!)).status).toBe(S.STALE);
    const w = await srv.nfs.write(fh!, 0, Buffer.from('x'));
    expect(w.status).toBe(S.STALE);
    expect(w.wcc).toEqual({ before: undefined, after: undefined });
  });

  it('a name over 255 bytes is NAMETOOLONG', async () => {
    const res = await srv.nfs.create(root, 'n'.repeat(256));
    expect(res.status).toBe(S.NAMETOOLONG);
    expect((await srv.nfs.lookup(root, 'n'.repeat(256))).status).toBe(S.NAMETOOLONG);
  });

  it('a name that is not valid UTF-8 is INVAL', async () => {
    const res = await srv.nfs.create(root, Buffer.from([0x62, 0xff, 0x61]));
    expect(res.status).toBe(S.INVAL);
    expect(res.dirWcc.after?.type).toBe(2);
    expect((await srv.nfs.lookup(root, Buffer.from([0xc3]))).status).toBe(S.INVAL);
  });

  it('RENAME moves a name and returns wcc data for both directories', async () => {
    const a = await srv.nfs.mkdir(root, 'ra');
    const b = await srv.nfs.mkdir(root, 'rb');
    const f = await srv.nfs.create(a.fh!, 'moving');
    const res = await srv.nfs.rename(a.fh!, 'moving', b.fh!, 'moved');
    expect(res.status).toBe(OK);
    expect(res.fromWcc.after?.fileid).toBe(a.attr!.fileid);
    expect(res.toWcc.after?.fileid).toBe(b.attr!.fileid);
    expect((await srv.nfs.lookup(b.fh!, 'moved')).fh).toEqual(f.fh);
    expect((await srv.nfs.lookup(a.fh!, 'moving')).status).toBe(S.NOENT);
    const missing = await srv.nfs.rename(a.fh!, 'moving', b.fh!, 'x');
    expect(missing.status).toBe(S.NOENT);
    expect(missing.fromWcc.after?.fileid).toBe(a.attr!.fileid);
    expect(missing.toWcc.after?.fileid).toBe(b.attr!.fileid);
  });

  it('RENAME and LINK across shares are XDEV', async () => {
    const f = await srv.nfs.create(root, 'crossing');
    expect((await srv.nfs.rename(root, 'crossing', roRoot, 'x')).status).toBe(S.XDEV);
    expect((await srv.nfs.link(f.fh!, roRoot, 'x')).status).toBe(S.XDEV);
  });

  it('modifying a read-only export is ROFS, and ACCESS grants no modify rights there', async () => {
    expect((await srv.nfs.create(roRoot, 'x')).status).toBe(S.ROFS);
    expect((await srv.nfs.mkdir(roRoot, 'x')).status).toBe(S.ROFS);
    expect((await srv.nfs.setattr(roRoot, { mode: 0o755 })).status).toBe(S.ROFS);
    expect((await srv.nfs.remove(roRoot, 'x')).status).toBe(S.ROFS);
    expect((await srv.nfs.symlink(roRoot, 'x', 'y')).status).toBe(S.ROFS);
    const acc = await srv.nfs.access(roRoot, 0x3f);
    expect(acc.status).toBe(OK);
    expect(acc.access! & (0x04 | 0x08 | 0x10)).toBe(0);
    expect(acc.access! & 0x01).toBe(0x01);
  });
});
