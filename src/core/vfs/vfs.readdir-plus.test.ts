import { beforeEach, describe, expect, it } from 'vitest';
import { code, ALICE, EVE, makeVfs, type Fixture } from './vfs-fixture.js';

describe('Vfs readdirPlus', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeVfs();
  });

  it('returns the same page as readdir with each entry’s current inode', async () => {
    const root = f.vfs.root();
    for (let i = 0; i < 5; i++) await f.vfs.create(ALICE, root, `f${i}`, { kind: 'guarded', set: {} });
    const d = (await f.vfs.mkdir(ALICE, root, 'sub', {})).obj;
    const f0 = await f.vfs.lookup(ALICE, root, 'f0');
    await f.vfs.write(ALICE, f0.id, 0, Buffer.from('abc'), 'unstable');
    const plain = await f.vfs.readdir(ALICE, root, 0, 4);
    const plus = await f.vfs.readdirPlus(ALICE, root, 0, 4);
    expect(plus.entries).toEqual(plain.entries);
    expect(plus.eof).toBe(false);
    expect(plus.attrs.map((a) => a?.id)).toEqual(plain.entries.map((e) => e.id));
    expect(plus.attrs[0]).toEqual(await f.vfs.getattr(f0.id));
    expect(plus.attrs[0]?.size).toBe(3);
    const rest = await f.vfs.readdirPlus(ALICE, root, plus.entries[3].cookie, 10);
    expect(rest.eof).toBe(true);
    expect(rest.attrs.map((a) => a?.id)).toEqual([(await f.vfs.lookup(ALICE, root, 'f4')).id, d.id]);
  });

  it('checks read permission and cookies as readdir does', async () => {
    const root = f.vfs.root();
    const d = (await f.vfs.mkdir(ALICE, root, 'private', { mode: 0o700 })).obj;
    expect(await code(f.vfs.readdirPlus(EVE, d.id, 0, 10))).toBe('ACCES');
    expect(await code(f.vfs.readdirPlus(ALICE, d.id, 1_000_000, 10))).toBe('BADCOOKIE');
  });
});
