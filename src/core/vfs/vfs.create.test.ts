import { beforeEach, describe, expect, it } from 'vitest';
import { code, ALICE, BOB, makeVfs, ROOT, type Fixture } from './vfs-fixture.js';

describe('Vfs create modes (RFC 1813 §3.3.8)', () => {
  let f: Fixture;
  let root: number;
  const verf = (n: number) => Buffer.from([n, 1, 2, 3, 4, 5, 6, 7]);

  beforeEach(async () => {
    f = await makeVfs();
    root = f.vfs.root();
  });

  it('creates a regular file owned by the caller with the requested mode, size 0 and a content id', async () => {
    const { obj, dir } = await f.vfs.create(ALICE, root, 'f', { kind: 'unchecked', set: { mode: 0o640 } });
    expect(obj).toMatchObject({ type: 'reg', mode: 0o640, uid: ALICE.uid, gid: ALICE.gid, nlink: 1, size: 0 });
    expect(obj.contentId).toMatch(/^[0-9a-f-]+$/);
    expect(dir.after.nlink).toBe(dir.before!.nlink);
    expect((await f.vfs.lookup(ALICE, root, 'f')).id).toBe(obj.id);
    expect(await f.vfs.checkHandle(obj.id, obj.generation)).toEqual(obj);
  });

  it('guarded over an existing name is EXIST', async () => {
    await f.vfs.create(ALICE, root, 'f', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.create(ALICE, root, 'f', { kind: 'guarded', set: {} }))).toBe('EXIST');
  });

  it('unchecked over an existing file succeeds, returns it, and applies size 0 only when asked', async () => {
    const { obj } = await f.vfs.create(ALICE, root, 'f', { kind: 'guarded', set: {} });
    await f.vfs.write(ALICE, obj.id, 0, Buffer.from('content'), 'unstable');
    const again = await f.vfs.create(ALICE, root, 'f', { kind: 'unchecked', set: { mode: 0o600 } });
    expect(again.obj.id).toBe(obj.id);
    expect(again.obj.size).toBe(7);
    expect(again.obj.mode).toBe(0o644);
    const trunc = await f.vfs.create(ALICE, root, 'f', { kind: 'unchecked', set: { size: 0 } });
    expect(trunc.obj.size).toBe(0);
    // Truncated content reads as zeros when the file grows again.
    await f.vfs.setattr(ALICE, obj.id, { size: 7 });
    expect((await f.vfs.read(ALICE, obj.id, 0, 7)).data.equals(Buffer.alloc(7))).toBe(true);
  });

  it('unchecked over a directory is ISDIR; over a symlink EXIST', async () => {
    await f.vfs.mkdir(ALICE, root, 'd', {});
    await f.vfs.symlink(ALICE, root, 'l', 't', {});
    expect(await code(f.vfs.create(ALICE, root, 'd', { kind: 'unchecked', set: {} }))).toBe('ISDIR');
    expect(await code(f.vfs.create(ALICE, root, 'l', { kind: 'unchecked', set: {} }))).toBe('EXIST');
  });

  it('exclusive: a retry with the same verifier returns the same file; another verifier is EXIST', async () => {
    const first = await f.vfs.create(ALICE, root, 'x', { kind: 'exclusive', verifier: verf(1) });
    expect(first.obj.createVerf).toBe(verf(1).toString('hex'));
    const retry = await f.vfs.create(ALICE, root, 'x', { kind: 'exclusive', verifier: verf(1) });
    expect(retry.obj.id).toBe(first.obj.id);
    expect(retry.obj.generation).toBe(first.obj.generation);
    expect(await code(f.vfs.create(ALICE, root, 'x', { kind: 'exclusive', verifier: verf(2) }))).toBe('EXIST');
    expect((await f.vfs.readdir(ALICE, root, 0, 10)).entries).toHaveLength(1);
  });

  it('exclusive: the verifier is cleared by the first setattr, after which a retry is EXIST', async () => {
    const { obj } = await f.vfs.create(ALICE, root, 'x', { kind: 'exclusive', verifier: verf(3) });
    const { after } = await f.vfs.setattr(ALICE, obj.id, { mode: 0o644 });
    expect(after.createVerf).toBeUndefined();
    expect((await f.vfs.getattr(obj.id)).createVerf).toBeUndefined();
    expect(await code(f.vfs.create(ALICE, root, 'x', { kind: 'exclusive', verifier: verf(3) }))).toBe('EXIST');
  });

  it('exclusive over a pre-existing (non-exclusive) file is EXIST', async () => {
    await f.vfs.create(ALICE, root, 'x', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.create(ALICE, root, 'x', { kind: 'exclusive', verifier: verf(4) }))).toBe('EXIST');
  });

  it('honours uid/gid in the create attributes only within chown rules', async () => {
    expect(await code(f.vfs.create(ALICE, root, 'a', { kind: 'guarded', set: { uid: BOB.uid } }))).toBe('PERM');
    const { obj } = await f.vfs.create(ALICE, root, 'b', { kind: 'guarded', set: { gid: 50 } });
    expect(obj.gid).toBe(50);
    const { obj: r } = await f.vfs.create(ROOT, root, 'c', { kind: 'guarded', set: { uid: BOB.uid, gid: 7 } });
    expect(r).toMatchObject({ uid: BOB.uid, gid: 7 });
  });

  it('creating in a missing directory is STALE; in a file NOTDIR', async () => {
    const { obj } = await f.vfs.create(ALICE, root, 'file', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.create(ALICE, 9999, 'x', { kind: 'guarded', set: {} }))).toBe('STALE');
    expect(await code(f.vfs.create(ALICE, obj.id, 'x', { kind: 'guarded', set: {} }))).toBe('NOTDIR');
    expect(await code(f.vfs.mkdir(ALICE, obj.id, 'x', {}))).toBe('NOTDIR');
  });

  it('mknod makes device nodes with rdev, and FIFOs/sockets without', async () => {
    const { obj: blk } = await f.vfs.mknod(ROOT, root, 'sda', 'blk', { mode: 0o660 }, { major: 8, minor: 1 });
    expect(blk).toMatchObject({ type: 'blk', rdev: { major: 8, minor: 1 }, mode: 0o660 });
    const { obj: fifo } = await f.vfs.mknod(ALICE, root, 'p', 'fifo', {}, { major: 9, minor: 9 });
    expect(fifo).toMatchObject({ type: 'fifo', rdev: { major: 0, minor: 0 } });
    expect(await code(f.vfs.read(ALICE, fifo.id, 0, 1))).toBe('INVAL');
  });
});
