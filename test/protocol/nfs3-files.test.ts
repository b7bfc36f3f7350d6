import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authSys } from './helpers/nfs3-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const OK = 0;
const NFS3ERR_EXIST = 17;
const NFS3ERR_INVAL = 22;
const NFS3ERR_NOT_SYNC = 10002;
const NFS3ERR_BADTYPE = 10007;
const ACCESS_ALL = 0x3f;
const WRITE_VERIFIER = Buffer.from('ditto-v1');

describe('NFSv3 file procedures over TCP', () => {
  let srv: TestServer;
  let root: Buffer;

  beforeAll(async () => {
    srv = await startTestServer({ nfs: { writeVerifier: WRITE_VERIFIER } });
    root = await srv.rootOf('/export');
  });
  afterAll(() => srv.close());

  it('GETATTR of the root: a directory with the share as fsid', async () => {
    const res = await srv.nfs.getattr(root);
    expect(res.status).toBe(OK);
    expect(res.attr).toMatchObject({ type: 2, mode: 0o1777, fsid: srv.shares.byName('/export')!.id });
  });

  it('CREATE UNCHECKED returns handle, attributes and the directory wcc data', async () => {
    const res = await srv.nfs.create(root, 'plain', { mode: 'unchecked', set: { mode: 0o640 } });
    expect(res.status).toBe(OK);
    expect(res.fh).toBeDefined();
    expect(res.attr).toMatchObject({ type: 1, mode: 0o640, size: 0, nlink: 1 });
    expect(res.dirWcc.before).toBeDefined();
    expect(res.dirWcc.after?.type).toBe(2);
    const again = await srv.nfs.lookup(root, 'plain');
    expect(again.fh).toEqual(res.fh);
  });

  it('CREATE GUARDED of an existing name is EXIST, with wcc data', async () => {
    await srv.nfs.create(root, 'guarded');
    const res = await srv.nfs.create(root, 'guarded', { mode: 'guarded' });
    expect(res.status).toBe(NFS3ERR_EXIST);
    expect(res.dirWcc.before).toBeDefined();
    expect(res.dirWcc.after?.type).toBe(2);
  });

  it('CREATE EXCLUSIVE retried with the same verifier returns the same handle; another verifier is EXIST', async () => {
    const verf = Buffer.from('12345678');
    const first = await srv.nfs.create(root, 'excl', { mode: 'exclusive', verf });
    expect(first.status).toBe(OK);
    const retry = await srv.nfs.create(root, 'excl', { mode: 'exclusive', verf });
    expect(retry.status).toBe(OK);
    expect(retry.fh).toEqual(first.fh);
    const other = await srv.nfs.create(root, 'excl', { mode: 'exclusive', verf: Buffer.from('87654321') });
    expect(other.status).toBe(NFS3ERR_EXIST);
  });

  it('WRITE honours every stable_how and returns the verifier that COMMIT repeats', async () => {
    const { fh } = await srv.nfs.create(root, 'written');
    for (const stable of [0, 1, 2]) {
      const data = Buffer.from(`chunk-${stable}`);
      const res = await srv.nfs.write(fh!, stable * 7, data, stable);
      expect(res.status).toBe(OK);
      expect(res.count).toBe(data.length);
      expect(res.committed).toBeGreaterThanOrEqual(stable);
      expect(res.verf).toEqual(WRITE_VERIFIER);
      expect(res.wcc.before).toBeDefined();
      expect(res.wcc.after?.size).toBe(stable * 7 + data.length);
    }
    const commit = await srv.nfs.commit(fh!);
    expect(commit.status).toBe(OK);
    expect(commit.verf).toEqual(WRITE_VERIFIER);
    expect(commit.wcc.after?.size).toBe(21);
  });

  it('WRITE sends only `count` bytes and refuses a count beyond the data', async () => {
    const { fh } = await srv.nfs.create(root, 'counted');
    const res = await srv.nfs.write(fh!, 0, Buffer.from('abcdef'), 2, 3);
    expect(res.status).toBe(OK);
    expect(res.wcc.after?.size).toBe(3);
    expect((await srv.nfs.write(fh!, 0, Buffer.from('ab'), 2, 5)).status).toBe(NFS3ERR_INVAL);
  });

  it('READ returns the data, count and eof; past the end it returns nothing with eof', async () => {
    const { fh } = await srv.nfs.create(root, 'readme');
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    expect((await srv.nfs.write(fh!, 0, big, 2)).status).toBe(OK);
    const all = await srv.nfs.read(fh!, 0, 300_000);
    expect(all).toMatchObject({ status: OK, count: big.length, eof: true });
    expect(all.data!.equals(big)).toBe(true);
    const part = await srv.nfs.read(fh!, 1000, 10);
    expect(part).toMatchObject({ count: 10, eof: false });
    expect(part.data).toEqual(big.subarray(1000, 1010));
    expect(part.attr?.size).toBe(big.length);
    const past = await srv.nfs.read(fh!, 500_000, 10);
    expect(past).toMatchObject({ status: OK, count: 0, eof: true });
  });

  it('SETATTR changes mode and size and returns wcc data', async () => {
    const { fh } = await srv.nfs.create(root, 'settable');
    await srv.nfs.write(fh!, 0, Buffer.alloc(100, 1));
    const res = await srv.nfs.setattr(fh!, { mode: 0o600, size: 10 });
    expect(res.status).toBe(OK);
    expect(res.wcc.before?.size).toBe(100);
    expect(res.wcc.after).toMatchObject({ mode: 0o600, size: 10 });
  });

  it('SETATTR with a guard: a stale ctime is NOT_SYNC, the current ctime succeeds', async () => {
    const { fh, attr } = await srv.nfs.create(root, 'guard');
    const stale = { sec: attr!.ctime.sec - 100, nsec: 0 };
    const bad = await srv.nfs.setattr(fh!, { mode: 0o700 }, stale);
    expect(bad.status).toBe(NFS3ERR_NOT_SYNC);
    expect(bad.wcc.after?.mode).not.toBe(0o700);
    const good = await srv.nfs.setattr(fh!, { mode: 0o700 }, attr!.ctime);
    expect(good.status).toBe(OK);
    expect(good.wcc.after?.mode).toBe(0o700);
  });

  it('SETATTR sets client times to the nanosecond', async () => {
    const { fh } = await srv.nfs.create(root, 'timed');
    const t = { sec: 1_600_000_000, nsec: 123_456_789 };
    const res = await srv.nfs.setattr(fh!, { atime: t, mtime: t });
    expect(res.wcc.after?.mtime).toEqual(t);
    expect(res.wcc.after?.atime).toEqual(t);
  });

  it('LOOKUP returns the object and directory attributes', async () => {
    const created = await srv.nfs.mkdir(root, 'lookdir');
    await srv.nfs.create(created.fh!, 'inner');
    const res = await srv.nfs.lookup(created.fh!, 'inner');
    expect(res.status).toBe(OK);
    expect(res.attr?.type).toBe(1);
    expect(res.dirAttr?.fileid).toBe(created.attr!.fileid);
    const dotdot = await srv.nfs.lookup(created.fh!, '..');
    expect(dotdot.fh).toEqual(root);
  });

  it('ACCESS reflects the caller: root gets everything asked on a file, others only what mode bits give', async () => {
    const { fh } = await srv.nfs.create(root, 'acc', { mode: 'unchecked', set: { mode: 0o644 } });
    const asRoot = await srv.nfs.access(fh!, 0x01 | 0x04 | 0x08);
    expect(asRoot.status).toBe(OK);
    expect(asRoot.access).toBe(0x01 | 0x04 | 0x08);
    const user = srv.nfs.as(authSys(1000, 1000));
    const asUser = await user.access(fh!, ACCESS_ALL);
    expect(asUser.access! & 0x01).toBe(0x01);
    expect(asUser.access! & (0x04 | 0x08)).toBe(0);
    expect(asUser.attr?.mode).toBe(0o644);
  });

  it('SYMLINK and READLINK round-trip the target; READLINK of a file is INVAL', async () => {
    const res = await srv.nfs.symlink(root, 'ln', '../some/where');
    expect(res.status).toBe(OK);
    expect(res.attr?.type).toBe(5);
    const rl = await srv.nfs.readlink(res.fh!);
    expect(rl).toMatchObject({ status: OK, target: '../some/where' });
    const file = await srv.nfs.create(root, 'notalink');
    expect((await srv.nfs.readlink(file.fh!)).status).toBe(NFS3ERR_INVAL);
  });

  it('MKNOD makes character devices and FIFOs; REG and DIR are BADTYPE', async () => {
    const chr = await srv.nfs.mknod(root, 'tty', 4, { mode: 0o620 }, [4, 64]);
    expect(chr.status).toBe(OK);
    expect(chr.attr).toMatchObject({ type: 4, mode: 0o620, rdev: [4, 64] });
    const fifo = await srv.nfs.mknod(root, 'pipe', 7);
    expect(fifo.attr?.type).toBe(7);
    const sock = await srv.nfs.mknod(root, 'sock', 6);
    expect(sock.attr?.type).toBe(6);
    expect((await srv.nfs.mknod(root, 'reg', 1)).status).toBe(NFS3ERR_BADTYPE);
    expect((await srv.nfs.mknod(root, 'dir', 2)).status).toBe(NFS3ERR_BADTYPE);
  });

  it('LINK adds a name: nlink goes to 2 and both names give the same handle', async () => {
    const { fh } = await srv.nfs.create(root, 'orig');
    const res = await srv.nfs.link(fh!, root, 'alias');
    expect(res.status).toBe(OK);
    expect(res.attr?.nlink).toBe(2);
    expect(res.dirWcc.after?.type).toBe(2);
    expect((await srv.nfs.lookup(root, 'alias')).fh).toEqual(fh);
    const dup = await srv.nfs.link(fh!, root, 'alias');
    expect(dup.status).toBe(NFS3ERR_EXIST);
    expect(dup.attr?.nlink).toBe(2);
  });

  it('reports every procedure to the onOp hook with its status', () => {
    expect(srv.ops).toContainEqual({ op: 'CREATE', status: NFS3ERR_EXIST });
    expect(srv.ops).toContainEqual({ op: 'SETATTR', status: NFS3ERR_NOT_SYNC });
    expect(srv.ops.some((o) => o.op === 'READ' && o.status === OK)).toBe(true);
  });
});
