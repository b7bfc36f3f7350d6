import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ntHash } from '../auth/ntlm/nt-hash.js';
import { parseConfig } from './config.js';
import { ControlPlane } from './controlplane.js';
import { Runtime } from './runtime.js';
import { SqliteControlPlaneStore } from './store/sqlite-store.js';
import { silentLogger } from '../observability/logger.js';

const hex = (pw: string) => ntHash(pw).toString('hex');

// Every password set also keeps its NT hash (MS-NLMP §3.3.1) for SMB, and
// smbAccountLookup gives the SMB adapter what NTLM needs.
describe('NT hashes and the SMB account lookup', () => {
  let dir: string;
  let store: SqliteControlPlaneStore;
  let cp: ControlPlane;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-cp-smb-'));
    const config = parseConfig({ logLevel: 'silent', shares: [], database: { path: ':memory:' } }, { dataDir: dir });
    store = new SqliteControlPlaneStore(':memory:');
    cp = new ControlPlane(store, new Runtime(config), config, silentLogger);
    await cp.init({ adminPassword: 'bootstrap-pw' });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is stored at bootstrap, user creation, password reset and self-service change', async () => {
    expect((await store.getUser('admin'))?.ntHash).toBe(hex('bootstrap-pw'));
    await cp.createUser({ name: 'alice', password: 'alice-pw-1', uid: 1000 });
    expect((await store.getUser('alice'))?.ntHash).toBe(hex('alice-pw-1'));
    await cp.updateUser('alice', { password: 'alice-pw-2' });
    expect((await store.getUser('alice'))?.ntHash).toBe(hex('alice-pw-2'));
    await cp.updateUser('alice', { uid: 1001 });
    expect((await store.getUser('alice'))?.ntHash).toBe(hex('alice-pw-2'));
    await cp.changeOwnPassword('alice', 'alice-pw-2', 'alice-pw-3');
    expect((await store.getUser('alice'))?.ntHash).toBe(hex('alice-pw-3'));
  });

  it('is never part of a user view', async () => {
    await cp.createUser({ name: 'alice', password: 'alice-pw-1', uid: 1000 });
    const text = JSON.stringify([await cp.getUser('alice'), await cp.listUsers()]);
    expect(text).not.toContain(hex('alice-pw-1'));
    expect(text).not.toMatch(/ntHash/);
  });

  it('finds a user case-insensitively with hash, uid, gid, group gids and enabled', async () => {
    await cp.createUser({ name: 'Alice', password: 'alice-pw-1', uid: 1000, gid: 100 });
    await cp.createGroup({ name: 'staff', gid: 50 });
    await cp.createGroup({ name: 'ops', gid: 60 });
    await cp.createGroup({ name: 'other', gid: 70 });
    await cp.addMember('staff', 'Alice');
    await cp.addMember('ops', 'Alice');
    const a = await cp.smbAccountLookup('ALICE', 'WORKGROUP');
    expect(a).toMatchObject({ name: 'Alice', uid: 1000, gid: 100, enabled: true });
    expect(a!.ntHash.equals(ntHash('alice-pw-1'))).toBe(true);
    expect(a!.gids.sort()).toEqual([50, 60]);
    await cp.updateUser('Alice', { enabled: false });
    expect((await cp.smbAccountLookup('alice', ''))?.enabled).toBe(false);
  });

  it('finds nobody for unknown names, ambiguous names and users without an NT hash', async () => {
    expect(await cp.smbAccountLookup('ghost', 'WORKGROUP')).toBeUndefined();
    // A user whose password was set before NT hashes were kept.
    await store.createUser({
      name: 'legacy',
      passwordHash: 'x',
      role: 'user',
      uid: 5,
      gid: 5,
      enabled: true,
      mustChangePassword: false,
    });
    expect(await cp.smbAccountLookup('legacy', '')).toBeUndefined();
    await cp.createUser({ name: 'bob', password: 'bob-pw-111', uid: 2000 });
    await cp.createUser({ name: 'Bob', password: 'bob-pw-222', uid: 2001 });
    expect((await cp.smbAccountLookup('Bob', ''))?.uid).toBe(2001);
    expect((await cp.smbAccountLookup('bob', ''))?.uid).toBe(2000);
    expect(await cp.smbAccountLookup('BOB', '')).toBeUndefined();
  });
});
