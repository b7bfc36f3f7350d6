import { describe, expect, it } from 'vitest';
import { MIGRATIONS, type Migration } from './migrations.js';
import { StoreConflictError, type ControlPlaneStore, type ShareOptionsRecord } from './types.js';

/** A store plus what the migration tests read. */
export type ConformanceStore = ControlPlaneStore & { schemaVersions(): number[] | Promise<number[]> };

export interface ConformanceFactory {
  /**
   * Open a store. Without `db`: a fresh, empty database. With `db`: the
   * database of that name, so a second call with the same name reopens what
   * the first created. `migrations` replaces MIGRATIONS (tests of the
   * version check).
   */
  (opts?: { db?: string; migrations?: readonly Migration[] }): Promise<ConformanceStore>;
}

const opts: ShareOptionsRecord = {
  readOnly: false,
  rootSquash: true,
  allSquash: false,
  anonUid: 65534,
  anonGid: 65534,
  requirePrivilegedPort: false,
  allowedClients: [],
};

const alice = {
  name: 'alice',
  passwordHash: 'h',
  role: 'user' as const,
  uid: 1000,
  gid: 1000,
  enabled: true,
  mustChangePassword: false,
};

/**
 * The control-plane store conformance suite (DESIGN.md: every backend of a
 * store contract passes one suite). Each test opens its own stores and
 * closes them.
 */
export function runControlPlaneStoreConformance(name: string, open: ConformanceFactory): void {
  describe(`ControlPlaneStore conformance: ${name}`, () => {
    async function using<T>(fn: (s: ConformanceStore) => Promise<T>): Promise<T> {
      const s = await open();
      try {
        return await fn(s);
      } finally {
        await s.close();
      }
    }

    describe('migrations', () => {
      it('applies each migration once and keeps data across reopen', async () => {
        const a = await open({ db: 'reopen' });
        expect(await a.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
        await a.createUser(alice);
        await a.close();
        const b = await open({ db: 'reopen' });
        expect(await b.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
        expect((await b.getUser('alice'))?.uid).toBe(1000);
        await b.close();
      });

      it('applies only the missing migrations to an older database', async () => {
        const v1 = MIGRATIONS.filter((m) => m.version === 1);
        const a = await open({ db: 'upgrade', migrations: v1 });
        expect(await a.schemaVersions()).toEqual([1]);
        // Shares use no v2 column, so the store code can write one into a v1 database.
        await a.createShare({ name: '/old', metadataStore: 'm', blockStore: 'b', options: opts });
        await a.close();
        const b = await open({ db: 'upgrade' });
        expect(await b.schemaVersions()).toEqual(MIGRATIONS.map((m) => m.version));
        expect((await b.getShare('/old'))?.options).toEqual(opts);
        await b.createStore({ kind: 'block', name: 'b', type: 's3', settings: { s3: { bucket: 'x' } } });
        expect((await b.getStore('block', 'b'))?.settings).toEqual({ s3: { bucket: 'x' } });
        await b.close();
      });

      it('refuses a database written by a newer server', async () => {
        await (
          await open({ db: 'future', migrations: [...MIGRATIONS, { version: 99, name: 'future', sql: 'SELECT 1' }] })
        ).close();
        await expect(open({ db: 'future' })).rejects.toThrowError(/newer than this server knows/);
      });
    });

    it('settings: absent, then upserted', () =>
      using(async (s) => {
        expect(await s.getSetting('k')).toBeUndefined();
        await s.setSetting('k', 'v1');
        await s.setSetting('k', 'v2');
        expect(await s.getSetting('k')).toBe('v2');
      }));

    describe('users', () => {
      it('create returns the record; duplicate names conflict; list is in byte order', () =>
        using(async (s) => {
          const u = await s.createUser({ ...alice, ntHash: 'ab'.repeat(16) });
          expect(u).toMatchObject({ ...alice, tokenVersion: 0, ntHash: 'ab'.repeat(16) });
          expect(new Date(u.createdAt).toISOString()).toBe(u.createdAt);
          await expect(s.createUser(alice)).rejects.toBeInstanceOf(StoreConflictError);
          await s.createUser({ ...alice, name: 'Bob', uid: 4_294_967_294, gid: 4_294_967_293 });
          expect((await s.listUsers()).map((x) => x.name)).toEqual(['Bob', 'alice']);
          const bob = await s.getUser('Bob');
          expect(bob).toMatchObject({ uid: 4_294_967_294, gid: 4_294_967_293 });
          expect(bob).not.toHaveProperty('ntHash');
          expect(await s.getUser('nobody')).toBeUndefined();
        }));

      it('update changes each field; a password change bumps the token version', () =>
        using(async (s) => {
          await s.createUser(alice);
          const u = await s.updateUser('alice', { passwordHash: 'h2', mustChangePassword: true });
          expect(u).toMatchObject({ passwordHash: 'h2', tokenVersion: 1, mustChangePassword: true });
          const v = await s.updateUser('alice', {
            ntHash: 'cd'.repeat(16),
            role: 'admin',
            uid: 7,
            gid: 8,
            enabled: false,
          });
          expect(v).toMatchObject({
            ntHash: 'cd'.repeat(16),
            role: 'admin',
            uid: 7,
            gid: 8,
            enabled: false,
            tokenVersion: 1,
          });
          expect(await s.updateUser('alice', {})).toEqual(v);
          expect(await s.updateUser('nobody', { uid: 1 })).toBeUndefined();
        }));

      it('delete removes the user, their memberships and permissions', () =>
        using(async (s) => {
          await s.createUser(alice);
          await s.createGroup({ name: 'staff', gid: 50 });
          await s.addMember('staff', 'alice');
          await s.setPermission({ share: '/a', kind: 'user', principal: 'alice', level: 'read' });
          expect(await s.deleteUser('alice')).toBe(true);
          expect(await s.deleteUser('alice')).toBe(false);
          expect(await s.getUser('alice')).toBeUndefined();
          expect((await s.getGroup('staff'))?.members).toEqual([]);
          expect(await s.listPermissions('/a')).toEqual([]);
        }));
    });

    describe('groups', () => {
      it('create, conflict, members in byte order, add is idempotent, remove reports', () =>
        using(async (s) => {
          await s.createUser(alice);
          await s.createUser({ ...alice, name: 'Zed', uid: 1001 });
          expect(await s.createGroup({ name: 'staff', gid: 50 })).toEqual({ name: 'staff', gid: 50, members: [] });
          await expect(s.createGroup({ name: 'staff', gid: 51 })).rejects.toBeInstanceOf(StoreConflictError);
          await s.createGroup({ name: 'Ops', gid: 60 });
          expect(await s.addMember('staff', 'alice')).toBe(true);
          expect(await s.addMember('staff', 'alice')).toBe(true);
          expect(await s.addMember('staff', 'Zed')).toBe(true);
          expect(await s.addMember('staff', 'bob')).toBe(false);
          expect(await s.addMember('nogroup', 'alice')).toBe(false);
          expect(await s.getGroup('staff')).toEqual({ name: 'staff', gid: 50, members: ['Zed', 'alice'] });
          expect(await s.listGroups()).toEqual([
            { name: 'Ops', gid: 60, members: [] },
            { name: 'staff', gid: 50, members: ['Zed', 'alice'] },
          ]);
          expect(await s.removeMember('staff', 'alice')).toBe(true);
          expect(await s.removeMember('staff', 'alice')).toBe(false);
          expect(await s.getGroup('nogroup')).toBeUndefined();
        }));

      it('delete removes the group, its memberships and its permissions', () =>
        using(async (s) => {
          await s.createUser(alice);
          await s.createGroup({ name: 'staff', gid: 50 });
          await s.addMember('staff', 'alice');
          await s.setPermission({ share: '/a', kind: 'group', principal: 'staff', level: 'read' });
          expect(await s.deleteGroup('staff')).toBe(true);
          expect(await s.deleteGroup('staff')).toBe(false);
          expect(await s.listPermissions()).toEqual([]);
          await s.createGroup({ name: 'staff', gid: 50 });
          expect((await s.getGroup('staff'))?.members).toEqual([]);
        }));
    });

    it('permissions: upsert, ordering, filter, unknown principals, deletes', () =>
      using(async (s) => {
        await s.createUser(alice);
        await s.createGroup({ name: 'staff', gid: 50 });
        expect(await s.setPermission({ share: '/a', kind: 'user', principal: 'alice', level: 'read' })).toBe(true);
        expect(await s.setPermission({ share: '/a', kind: 'group', principal: 'staff', level: 'read-write' })).toBe(
          true,
        );
        expect(await s.setPermission({ share: '/a', kind: 'group', principal: 'nope', level: 'read' })).toBe(false);
        expect(await s.setPermission({ share: '/a', kind: 'user', principal: 'staff', level: 'read' })).toBe(false);
        expect(await s.setPermission({ share: '/B', kind: 'user', principal: 'alice', level: 'none' })).toBe(true);
        await s.setPermission({ share: '/a', kind: 'user', principal: 'alice', level: 'admin' });
        expect(await s.listPermissions('/a')).toEqual([
          { share: '/a', kind: 'group', principal: 'staff', level: 'read-write' },
          { share: '/a', kind: 'user', principal: 'alice', level: 'admin' },
        ]);
        expect((await s.listPermissions()).map((p) => p.share)).toEqual(['/B', '/a', '/a']);
        expect(await s.deletePermission('/a', 'group', 'staff')).toBe(true);
        expect(await s.deletePermission('/a', 'group', 'staff')).toBe(false);
        await s.deleteSharePermissions('/a');
        expect(await s.listPermissions()).toEqual([{ share: '/B', kind: 'user', principal: 'alice', level: 'none' }]);
      }));

    it('stores: per kind, settings kept, duplicates conflict, deletion refused while a share uses one', () =>
      using(async (s) => {
        const pgMeta = {
          kind: 'metadata' as const,
          name: 'pgm',
          type: 'postgres',
          settings: { url: 'postgres://u:secret@h/db', schema: 'dfs' },
        };
        const tiered = {
          kind: 'block' as const,
          name: 'b',
          type: 'tiered',
          path: '/var/b',
          settings: { chunkSize: 4_194_304, localBudgetBytes: 1 << 30, s3: { bucket: 'bk', forcePathStyle: true } },
        };
        expect(await s.createStore(pgMeta)).toEqual(pgMeta);
        await s.createStore(tiered);
        await s.createStore({ kind: 'metadata', name: 'b', type: 'memory' });
        await s.createStore({ kind: 'metadata', name: 'A', type: 'lmdb', path: '/m' });
        await expect(s.createStore({ kind: 'block', name: 'b', type: 'memory' })).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        expect(await s.getStore('metadata', 'pgm')).toEqual(pgMeta);
        expect(await s.getStore('block', 'b')).toEqual(tiered);
        expect(await s.getStore('metadata', 'b')).toEqual({ kind: 'metadata', name: 'b', type: 'memory' });
        expect(await s.getStore('block', 'pgm')).toBeUndefined();
        expect((await s.listStores('metadata')).map((x) => x.name)).toEqual(['A', 'b', 'pgm']);
        expect(await s.listStores('block')).toEqual([tiered]);

        await s.createShare({ name: '/x', metadataStore: 'pgm', blockStore: 'b', options: opts });
        await expect(s.deleteStore('block', 'b')).rejects.toThrowError(/used by share\(s\) \/x/);
        await expect(s.deleteStore('metadata', 'pgm')).rejects.toBeInstanceOf(StoreConflictError);
        expect(await s.deleteStore('metadata', 'b')).toBe(true);
        expect(await s.deleteStore('metadata', 'b')).toBe(false);
        expect(await s.deleteShare('/x')).toBe(true);
        expect(await s.deleteStore('block', 'b')).toBe(true);
        expect(await s.getStore('block', 'b')).toBeUndefined();
      }));

    it('shares: create, conflict, options with durability, update, delete with permissions', () =>
      using(async (s) => {
        await s.createUser(alice);
        const created = await s.createShare({ name: '/x', metadataStore: 'm', blockStore: 'b', options: opts });
        expect(created).toMatchObject({ name: '/x', metadataStore: 'm', blockStore: 'b', options: opts });
        expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
        await expect(
          s.createShare({ name: '/x', metadataStore: 'm', blockStore: 'b', options: opts }),
        ).rejects.toBeInstanceOf(StoreConflictError);
        await s.createShare({ name: '/A', metadataStore: 'm', blockStore: 'b', options: opts });
        expect((await s.listShares()).map((x) => x.name)).toEqual(['/A', '/x']);
        expect(await s.getShare('/x')).toEqual(created);

        const next: ShareOptionsRecord = {
          ...opts,
          readOnly: true,
          allowedClients: ['10.0.0.0/8', '192.168.1.5'],
          durability: 'remote',
        };
        expect(await s.updateShareOptions('/x', next)).toEqual({ ...created, options: next });
        expect((await s.getShare('/x'))?.options).toEqual(next);
        expect(await s.updateShareOptions('/nope', next)).toBeUndefined();

        await s.setPermission({ share: '/x', kind: 'user', principal: 'alice', level: 'read' });
        await s.setPermission({ share: '/A', kind: 'user', principal: 'alice', level: 'read' });
        expect(await s.deleteShare('/x')).toBe(true);
        expect(await s.deleteShare('/x')).toBe(false);
        expect(await s.getShare('/x')).toBeUndefined();
        expect((await s.listPermissions()).map((p) => p.share)).toEqual(['/A']);
      }));

    it('adapters: upsert, get, list', () =>
      using(async (s) => {
        expect(await s.getAdapter('nfs')).toBeUndefined();
        await s.putAdapter({ name: 'nfs', enabled: true, port: null });
        expect(await s.putAdapter({ name: 'nfs', enabled: false, port: 2049 })).toEqual({
          name: 'nfs',
          enabled: false,
          port: 2049,
        });
        await s.putAdapter({ name: 'smb', enabled: true, port: null });
        expect(await s.getAdapter('nfs')).toEqual({ name: 'nfs', enabled: false, port: 2049 });
        expect(await s.listAdapters()).toEqual([
          { name: 'nfs', enabled: false, port: 2049 },
          { name: 'smb', enabled: true, port: null },
        ]);
      }));
  });
}
