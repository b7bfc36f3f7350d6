import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';
import { SqliteControlPlaneStore } from './sqlite-store.js';
import { StoreConflictError } from './types.js';

const opts = {
  readOnly: false,
  rootSquash: true,
  allSquash: false,
  anonUid: 65534,
  anonGid: 65534,
  requirePrivilegedPort: false,
  allowedClients: [],
};
const user = {
  name: 'alice',
  passwordHash: 'h',
  role: 'user' as const,
  uid: 1000,
  gid: 1000,
  enabled: true,
  mustChangePassword: false,
};

describe('SQLite control-plane store', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('applies each migration once and keeps data across reopen', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cp-store-'));
    const path = join(dir, 'sub', 'cp.db');
    const a = new SqliteControlPlaneStore(path);
    expect(a.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await a.createUser(user);
    await a.close();
    const b = new SqliteControlPlaneStore(path);
    expect(b.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await b.getUser('alice'))?.uid).toBe(1000);
    await b.close();
  });

  it('refuses a database written by a newer server', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cp-store-'));
    const path = join(dir, 'cp.db');
    await new SqliteControlPlaneStore(path, [...MIGRATIONS, { version: 99, name: 'future', sql: 'SELECT 1' }]).close();
    expect(() => new SqliteControlPlaneStore(path)).toThrowError(/newer than this server knows/);
  });

  it('users: duplicate names conflict, password change bumps the token version', async () => {
    const s = new SqliteControlPlaneStore(':memory:');
    await s.createUser(user);
    await expect(s.createUser(user)).rejects.toBeInstanceOf(StoreConflictError);
    const u = await s.updateUser('alice', { passwordHash: 'h2', mustChangePassword: true });
    expect(u).toMatchObject({ passwordHash: 'h2', tokenVersion: 1, mustChangePassword: true });
    expect(await s.updateUser('nobody', { uid: 1 })).toBeUndefined();
  });

  it('groups, members and permissions follow deletions', async () => {
    const s = new SqliteControlPlaneStore(':memory:');
    await s.createUser(user);
    await s.createGroup({ name: 'staff', gid: 50 });
    expect(await s.addMember('staff', 'alice')).toBe(true);
    expect(await s.addMember('staff', 'bob')).toBe(false);
    expect((await s.getGroup('staff'))?.members).toEqual(['alice']);
    expect(await s.setPermission({ share: '/a', kind: 'user', principal: 'alice', level: 'read' })).toBe(true);
    expect(await s.setPermission({ share: '/a', kind: 'group', principal: 'staff', level: 'read-write' })).toBe(true);
    expect(await s.setPermission({ share: '/a', kind: 'group', principal: 'nope', level: 'read' })).toBe(false);
    await s.setPermission({ share: '/a', kind: 'user', principal: 'alice', level: 'admin' });
    expect(await s.listPermissions('/a')).toEqual([
      { share: '/a', kind: 'group', principal: 'staff', level: 'read-write' },
      { share: '/a', kind: 'user', principal: 'alice', level: 'admin' },
    ]);
    await s.deleteUser('alice');
    expect((await s.getGroup('staff'))?.members).toEqual([]);
    expect(await s.listPermissions('/a')).toHaveLength(1);
  });

  it('a store used by a share cannot be deleted', async () => {
    const s = new SqliteControlPlaneStore(':memory:');
    await s.createStore({ kind: 'metadata', name: 'm', type: 'memory' });
    await s.createStore({ kind: 'block', name: 'b', type: 'fs', path: '/tmp/b' });
    await expect(s.createStore({ kind: 'block', name: 'b', type: 'memory' })).rejects.toBeInstanceOf(
      StoreConflictError,
    );
    await s.createShare({ name: '/x', metadataStore: 'm', blockStore: 'b', options: opts });
    await expect(s.deleteStore('block', 'b')).rejects.toThrowError(/used by share\(s\) \/x/);
    expect(await s.getStore('block', 'b')).toEqual({ kind: 'block', name: 'b', type: 'fs', path: '/tmp/b' });
    expect(await s.deleteShare('/x')).toBe(true);
    expect(await s.deleteStore('block', 'b')).toBe(true);
  });

  it('adapters and settings upsert', async () => {
    const s = new SqliteControlPlaneStore(':memory:');
    await s.putAdapter({ name: 'nfs', enabled: true, port: null });
    await s.putAdapter({ name: 'nfs', enabled: false, port: 2049 });
    expect(await s.listAdapters()).toEqual([{ name: 'nfs', enabled: false, port: 2049 }]);
    await s.setSetting('k', 'v1');
    await s.setSetting('k', 'v2');
    expect(await s.getSetting('k')).toBe('v2');
  });
});
