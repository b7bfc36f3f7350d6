import { beforeEach, describe, expect, it } from 'vitest';
import { code, ALICE, makeVfs, ROOT, type Fixture } from './vfs-fixture.js';

describe('Vfs name rules', () => {
  let f: Fixture;
  let root: number;
  beforeEach(async () => {
    f = await makeVfs();
    root = f.vfs.root();
  });

  it('lookup: "" and names with "/" or NUL find nothing (NOENT)', async () => {
    for (const name of ['', 'a/b', 'a\0b']) expect(await code(f.vfs.lookup(ALICE, root, name))).toBe('NOENT');
  });

  it('creating "", or a name with "/" or NUL, is INVAL for every kind of create', async () => {
    for (const name of ['', 'a/b', '/', 'nul\0']) {
      expect(await code(f.vfs.create(ALICE, root, name, { kind: 'unchecked', set: {} }))).toBe('INVAL');
      expect(await code(f.vfs.mkdir(ALICE, root, name, {}))).toBe('INVAL');
      expect(await code(f.vfs.symlink(ALICE, root, name, 't', {}))).toBe('INVAL');
      expect(await code(f.vfs.mknod(ALICE, root, name, 'fifo', {}))).toBe('INVAL');
    }
  });

  it('"." and ".." always exist: creating them is EXIST', async () => {
    const { obj: file } = await f.vfs.create(ALICE, root, 'file', { kind: 'guarded', set: {} });
    for (const name of ['.', '..']) {
      expect(await code(f.vfs.create(ALICE, root, name, { kind: 'unchecked', set: {} }))).toBe('EXIST');
      expect(await code(f.vfs.mkdir(ALICE, root, name, {}))).toBe('EXIST');
      expect(await code(f.vfs.symlink(ALICE, root, name, 't', {}))).toBe('EXIST');
      expect(await code(f.vfs.link(ALICE, file.id, root, name))).toBe('EXIST');
    }
  });

  it('removing "." is INVAL; rmdir ".." is NOTEMPTY, unlink ".." ISDIR', async () => {
    const { obj: d } = await f.vfs.mkdir(ALICE, root, 'd', {});
    expect(await code(f.vfs.rmdir(ALICE, d.id, '.'))).toBe('INVAL');
    expect(await code(f.vfs.remove(ALICE, d.id, '.'))).toBe('INVAL');
    expect(await code(f.vfs.rmdir(ALICE, d.id, '..'))).toBe('NOTEMPTY');
    expect(await code(f.vfs.remove(ALICE, d.id, '..'))).toBe('ISDIR');
  });

  it('names longer than maxNameBytes UTF-8 bytes are NAMETOOLONG, exactly the limit is fine', async () => {
    const max = 'a'.repeat(255);
    expect(await code(f.vfs.create(ALICE, root, max, { kind: 'guarded', set: {} }))).toBe('OK');
    expect((await f.vfs.lookup(ALICE, root, max)).type).toBe('reg');
    expect(await code(f.vfs.create(ALICE, root, max + 'a', { kind: 'guarded', set: {} }))).toBe('NAMETOOLONG');
    // 128 two-byte characters: 128 UTF-16 units but 256 bytes.
    expect(await code(f.vfs.mkdir(ALICE, root, 'é'.repeat(128), {}))).toBe('NAMETOOLONG');
    expect(await code(f.vfs.mkdir(ALICE, root, 'é'.repeat(127), {}))).toBe('OK');
    expect(await code(f.vfs.lookup(ALICE, root, 'é'.repeat(128)))).toBe('NAMETOOLONG');
  });

  it('honours a configured maxNameBytes', async () => {
    const g = await makeVfs({ maxNameBytes: 8 });
    expect(await code(g.vfs.mkdir(ALICE, g.vfs.root(), '12345678', {}))).toBe('OK');
    expect(await code(g.vfs.mkdir(ALICE, g.vfs.root(), '123456789', {}))).toBe('NAMETOOLONG');
  });

  it('lookup of "." returns the directory, ".." its parent, and the root is its own parent', async () => {
    const { obj: a } = await f.vfs.mkdir(ALICE, root, 'a', {});
    const { obj: b } = await f.vfs.mkdir(ALICE, a.id, 'b', {});
    expect((await f.vfs.lookup(ALICE, b.id, '.')).id).toBe(b.id);
    expect((await f.vfs.lookup(ALICE, b.id, '..')).id).toBe(a.id);
    expect((await f.vfs.lookup(ALICE, a.id, '..')).id).toBe(root);
    expect((await f.vfs.lookup(ALICE, root, '..')).id).toBe(root);
    expect((await f.vfs.lookup(ALICE, root, '.')).id).toBe(root);
  });

  it('lookup in a non-directory is NOTDIR; of a missing name NOENT', async () => {
    const { obj: file } = await f.vfs.create(ALICE, root, 'file', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.lookup(ALICE, file.id, 'x'))).toBe('NOTDIR');
    expect(await code(f.vfs.lookup(ALICE, root, 'missing'))).toBe('NOENT');
  });

  it('symlink targets: kept verbatim with size = byte length; empty is NOENT, NUL INVAL, >4095 bytes NAMETOOLONG', async () => {
    const { obj } = await f.vfs.symlink(ALICE, root, 'l', '../ü/x', {});
    expect(obj).toMatchObject({ type: 'lnk', size: Buffer.byteLength('../ü/x'), mode: 0o777 });
    expect((await f.vfs.readlink(ALICE, obj.id)).target).toBe('../ü/x');
    expect(await code(f.vfs.symlink(ALICE, root, 'e', '', {}))).toBe('NOENT');
    expect(await code(f.vfs.symlink(ALICE, root, 'n', 'a\0b', {}))).toBe('INVAL');
    expect(await code(f.vfs.symlink(ALICE, root, 'long', 'x'.repeat(4096), {}))).toBe('NAMETOOLONG');
    const { obj: file } = await f.vfs.create(ROOT, root, 'file', { kind: 'guarded', set: {} });
    expect(await code(f.vfs.readlink(ALICE, file.id))).toBe('INVAL');
  });
});
