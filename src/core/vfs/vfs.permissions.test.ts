import { beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_DELETE, ACCESS_EXECUTE, ACCESS_EXTEND, ACCESS_LOOKUP, ACCESS_MODIFY, ACCESS_READ } from './api.js';
import { code, ALICE, BOB, EVE, makeVfs, ROOT, STAFF, type Fixture } from './vfs-fixture.js';
import type { Credentials } from '../types.js';

const ALL = 0x3f;

describe('Vfs permission checks', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeVfs();
  });

  async function fileOf(owner: Credentials, mode: number, gid?: number): Promise<number> {
    const { obj } = await f.vfs.create(owner, f.vfs.root(), `f${mode.toString(8)}-${owner.uid}-${gid ?? ''}`, {
      kind: 'guarded',
      set: { mode },
    });
    await f.vfs.write(owner, obj.id, 0, Buffer.from('data'), 'unstable');
    if (gid !== undefined) await f.vfs.setattr(ROOT, obj.id, { gid });
    return obj.id;
  }

  // Owner alice (uid 1000), group STAFF (alice and bob are members), eve is "other".
  it.each([
    { mode: 0o640, who: BOB, as: 'group member via a supplementary group', r: 'OK', w: 'ACCES' },
    { mode: 0o660, who: BOB, as: 'group member via a supplementary group', r: 'OK', w: 'OK' },
    // The group class applies (no read) even though "other" could read.
    { mode: 0o604, who: BOB, as: 'group member via a supplementary group', r: 'ACCES', w: 'ACCES' },
    { mode: 0o604, who: EVE, as: 'other', r: 'OK', w: 'ACCES' },
    { mode: 0o646, who: EVE, as: 'other', r: 'OK', w: 'OK' },
    { mode: 0o640, who: EVE, as: 'other', r: 'ACCES', w: 'ACCES' },
    { mode: 0o000, who: ROOT, as: 'root', r: 'OK', w: 'OK' },
  ])('file mode $mode, caller $as: read $r, write $w', async ({ mode, who, r, w }) => {
    const id = await fileOf(ALICE, mode, STAFF);
    expect(await code(f.vfs.read(who, id, 0, 4))).toBe(r);
    expect(await code(f.vfs.write(who, id, 0, Buffer.from('x'), 'unstable'))).toBe(w);
  });

  it('owner class applies to the owner even if group/other would allow more (ACCESS reports it)', async () => {
    const id = await fileOf(ALICE, 0o077, STAFF);
    expect((await f.vfs.access(ALICE, id, ALL)).granted).toBe(0);
    expect((await f.vfs.access(BOB, id, ALL)).granted).toBe(
      ACCESS_READ | ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_EXECUTE,
    );
  });

  it('lets the owner read and write through a mode that denies it (NFS owner override, as knfsd)', async () => {
    const id = await fileOf(ALICE, 0o444);
    expect(await code(f.vfs.write(ALICE, id, 0, Buffer.from('x'), 'unstable'))).toBe('OK');
    const id2 = await fileOf(ALICE, 0o000);
    expect(await code(f.vfs.read(ALICE, id2, 0, 1))).toBe('OK');
  });

  it('root needs some x bit to execute a file, but not to search a directory', async () => {
    const plain = await fileOf(ALICE, 0o600);
    const exec = await fileOf(ALICE, 0o601);
    expect((await f.vfs.access(ROOT, plain, ALL)).granted).toBe(ACCESS_READ | ACCESS_MODIFY | ACCESS_EXTEND);
    expect((await f.vfs.access(ROOT, exec, ACCESS_EXECUTE)).granted).toBe(ACCESS_EXECUTE);
    const { obj: d } = await f.vfs.mkdir(ALICE, f.vfs.root(), 'closed', { mode: 0o000 });
    expect((await f.vfs.access(ROOT, d.id, ALL)).granted).toBe(
      ACCESS_READ | ACCESS_LOOKUP | ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_DELETE,
    );
    await f.vfs.create(ROOT, d.id, 'inside', { kind: 'guarded', set: {} });
    expect((await f.vfs.lookup(ROOT, d.id, 'inside')).uid).toBe(0);
  });

  it('directory operations need search (x) for lookup, read for readdir, write+search to create', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, f.vfs.root(), 'd', { mode: 0o751 });
    await f.vfs.create(ALICE, d.id, 'x', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.lookup(EVE, d.id, 'x'))).toBe('OK');
    expect(await code(f.vfs.readdir(EVE, d.id, 0, 10))).toBe('ACCES');
    expect(await code(f.vfs.readdir(BOB, d.id, 0, 10))).toBe('ACCES');
    expect(await code(f.vfs.create(EVE, d.id, 'y', { kind: 'guarded', set: {} }))).toBe('ACCES');
    await f.vfs.setattr(ALICE, d.id, { mode: 0o754, gid: STAFF });
    expect(await code(f.vfs.readdir(BOB, d.id, 0, 10))).toBe('OK');
    expect(await code(f.vfs.lookup(EVE, d.id, 'x'))).toBe('ACCES');
    await f.vfs.setattr(ALICE, d.id, { mode: 0o770 });
    expect(await code(f.vfs.mkdir(BOB, d.id, 'sub', {}))).toBe('OK');
    expect(await code(f.vfs.remove(EVE, d.id, 'x'))).toBe('ACCES');
    expect(await code(f.vfs.remove(BOB, d.id, 'x'))).toBe('OK');
  });

  it('ACCESS on a directory maps write+search to MODIFY/EXTEND/DELETE and x to LOOKUP', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, f.vfs.root(), 'd', { mode: 0o705 });
    expect((await f.vfs.access(ALICE, d.id, ALL)).granted).toBe(
      ACCESS_READ | ACCESS_LOOKUP | ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_DELETE,
    );
    expect((await f.vfs.access(EVE, d.id, ALL)).granted).toBe(ACCESS_READ | ACCESS_LOOKUP);
    expect((await f.vfs.access(EVE, d.id, ACCESS_LOOKUP)).granted).toBe(ACCESS_LOOKUP);
  });

  describe('sticky directories', () => {
    it('only the entry owner, the directory owner or root may remove or rename', async () => {
      const { obj: tmp } = await f.vfs.mkdir(ROOT, f.vfs.root(), 'tmp', { mode: 0o1777 });
      await f.vfs.create(ALICE, tmp.id, 'a1', { kind: 'guarded', set: {} });
      await f.vfs.create(ALICE, tmp.id, 'a2', { kind: 'guarded', set: {} });
      await f.vfs.create(ALICE, tmp.id, 'a3', { kind: 'guarded', set: {} });
      await f.vfs.create(BOB, tmp.id, 'b1', { kind: 'guarded', set: {} });
      expect(await code(f.vfs.remove(BOB, tmp.id, 'a1'))).toBe('PERM');
      expect(await code(f.vfs.rename(BOB, tmp.id, 'a1', tmp.id, 'stolen'))).toBe('PERM');
      // Renaming one's own file over someone else's is refused too.
      expect(await code(f.vfs.rename(BOB, tmp.id, 'b1', tmp.id, 'a1'))).toBe('PERM');
      expect(await code(f.vfs.remove(ALICE, tmp.id, 'a1'))).toBe('OK');
      expect(await code(f.vfs.remove(ROOT, tmp.id, 'a2'))).toBe('OK');
      const { obj: own } = await f.vfs.mkdir(BOB, f.vfs.root(), 'bobs', { mode: 0o1777 });
      await f.vfs.create(ALICE, own.id, 'a', { kind: 'guarded', set: {} });
      expect(await code(f.vfs.remove(BOB, own.id, 'a'))).toBe('OK');
      expect(await code(f.vfs.rename(BOB, tmp.id, 'b1', tmp.id, 'b2'))).toBe('OK');
    });
  });

  describe('setgid directories', () => {
    it('new entries take the directory group; new subdirectories inherit the setgid bit', async () => {
      // mkdir(2) ignores setgid in the requested mode; chmod sets it.
      const { obj: made } = await f.vfs.mkdir(ROOT, f.vfs.root(), 'proj', { mode: 0o2777, gid: 777 });
      expect(made.mode & 0o7777).toBe(0o777);
      const d = (await f.vfs.setattr(ROOT, made.id, { mode: 0o2777 })).after;
      const { obj: file } = await f.vfs.create(ALICE, d.id, 'f', { kind: 'guarded', set: { mode: 0o644 } });
      expect(file.gid).toBe(777);
      expect(file.mode & 0o2000).toBe(0);
      const { obj: sub } = await f.vfs.mkdir(ALICE, d.id, 'sub', { mode: 0o755 });
      expect(sub.gid).toBe(777);
      expect(sub.mode & 0o7777).toBe(0o2755);
      const { obj: plain } = await f.vfs.mkdir(ALICE, f.vfs.root(), 'plain', { mode: 0o2755 });
      expect(plain.gid).toBe(ALICE.gid);
      expect(plain.mode & 0o7777).toBe(0o755);
    });

    it('a creator outside the inherited group cannot set setgid on a new file', async () => {
      const { obj: d } = await f.vfs.mkdir(ROOT, f.vfs.root(), 'proj', { gid: 777 });
      await f.vfs.setattr(ROOT, d.id, { mode: 0o2777 });
      const { obj: file } = await f.vfs.create(ALICE, d.id, 'f', { kind: 'guarded', set: { mode: 0o2755 } });
      expect(file.mode & 0o7777).toBe(0o755);
      const { obj: mine } = await f.vfs.create(ALICE, f.vfs.root(), 'g', { kind: 'guarded', set: { mode: 0o2755 } });
      expect(mine.mode & 0o7777).toBe(0o2755);
    });
  });

  describe('chmod', () => {
    it('only the owner or root may chmod', async () => {
      const id = await fileOf(ALICE, 0o666);
      expect(await code(f.vfs.setattr(BOB, id, { mode: 0o777 }))).toBe('PERM');
      expect(await code(f.vfs.setattr(ALICE, id, { mode: 0o600 }))).toBe('OK');
      expect(await code(f.vfs.setattr(ROOT, id, { mode: 0o4755 }))).toBe('OK');
      expect((await f.vfs.getattr(id)).mode & 0o7777).toBe(0o4755);
    });

    it('a non-root owner setting setgid on a file of a foreign group silently loses the bit', async () => {
      const foreign = await fileOf(ALICE, 0o644, 4242);
      await f.vfs.setattr(ALICE, foreign, { mode: 0o2755 });
      expect((await f.vfs.getattr(foreign)).mode & 0o7777).toBe(0o755);
      const ownGroup = await fileOf(ALICE, 0o644, STAFF);
      await f.vfs.setattr(ALICE, ownGroup, { mode: 0o2755 });
      expect((await f.vfs.getattr(ownGroup)).mode & 0o7777).toBe(0o2755);
      await f.vfs.setattr(ROOT, foreign, { mode: 0o2755 });
      expect((await f.vfs.getattr(foreign)).mode & 0o7777).toBe(0o2755);
    });
  });

  describe('chown', () => {
    it('only root changes the owner; the owner may change the group to one of its groups', async () => {
      const id = await fileOf(ALICE, 0o644);
      expect(await code(f.vfs.setattr(ALICE, id, { uid: BOB.uid }))).toBe('PERM');
      expect(await code(f.vfs.setattr(ALICE, id, { gid: 4242 }))).toBe('PERM');
      expect(await code(f.vfs.setattr(BOB, id, { gid: STAFF }))).toBe('PERM');
      expect(await code(f.vfs.setattr(ALICE, id, { gid: STAFF }))).toBe('OK');
      expect((await f.vfs.getattr(id)).gid).toBe(STAFF);
      // Setting the current owner is not a change.
      expect(await code(f.vfs.setattr(ALICE, id, { uid: ALICE.uid, gid: STAFF }))).toBe('OK');
      expect(await code(f.vfs.setattr(ROOT, id, { uid: BOB.uid, gid: 4242 }))).toBe('OK');
      expect(await f.vfs.getattr(id)).toMatchObject({ uid: BOB.uid, gid: 4242 });
    });

    it('changing ownership of a file clears setuid and setgid', async () => {
      const id = await fileOf(ALICE, 0o6755, STAFF);
      await f.vfs.setattr(ROOT, id, { mode: 0o6755 });
      await f.vfs.setattr(ROOT, id, { uid: BOB.uid });
      expect((await f.vfs.getattr(id)).mode & 0o7777).toBe(0o755);
      const { obj: d } = await f.vfs.mkdir(ROOT, f.vfs.root(), 'sg', {});
      await f.vfs.setattr(ROOT, d.id, { mode: 0o2775 });
      await f.vfs.setattr(ROOT, d.id, { gid: STAFF });
      expect((await f.vfs.getattr(d.id)).mode & 0o7777).toBe(0o2775);
    });
  });

  it('a write by a non-owner clears setuid/setgid; by the owner or root it does not', async () => {
    const id = await fileOf(ALICE, 0o666);
    await f.vfs.setattr(ALICE, id, { mode: 0o6666 });
    await f.vfs.write(ALICE, id, 0, Buffer.from('o'), 'unstable');
    expect((await f.vfs.getattr(id)).mode & 0o7777).toBe(0o6666);
    await f.vfs.write(ROOT, id, 0, Buffer.from('r'), 'unstable');
    expect((await f.vfs.getattr(id)).mode & 0o7777).toBe(0o6666);
    await f.vfs.write(BOB, id, 0, Buffer.from('b'), 'unstable');
    expect((await f.vfs.getattr(id)).mode & 0o7777).toBe(0o666);
  });

  it('truncate needs write permission (owner override aside)', async () => {
    const id = await fileOf(ALICE, 0o644, STAFF);
    expect(await code(f.vfs.setattr(BOB, id, { size: 0 }))).toBe('ACCES');
    await f.vfs.setattr(ALICE, id, { mode: 0o664 });
    expect(await code(f.vfs.setattr(BOB, id, { size: 0 }))).toBe('OK');
    expect(await code(f.vfs.setattr(EVE, id, { size: 10 }))).toBe('ACCES');
  });

  it('utimes: server time needs owner or write permission; explicit times need the owner or root', async () => {
    const id = await fileOf(ALICE, 0o664, STAFF);
    const t = { sec: 1000, nsec: 5 };
    expect(await code(f.vfs.setattr(BOB, id, { mtime: 'server', atime: 'server' }))).toBe('OK');
    expect(await code(f.vfs.setattr(BOB, id, { mtime: t }))).toBe('PERM');
    expect(await code(f.vfs.setattr(EVE, id, { mtime: 'server' }))).toBe('ACCES');
    expect(await code(f.vfs.setattr(ALICE, id, { mtime: t, atime: t }))).toBe('OK');
    expect(await f.vfs.getattr(id)).toMatchObject({ mtime: t, atime: t });
    expect(await code(f.vfs.setattr(ROOT, id, { mtime: t }))).toBe('OK');
    expect(await code(f.vfs.setattr(ALICE, id, { mtime: { sec: 1, nsec: 1e9 } }))).toBe('INVAL');
  });
});
