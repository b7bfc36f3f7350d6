import { describe, expect, it } from 'vitest';
import type { Share } from '../core/share.js';
import { PermissionIndex } from './permissions.js';
import type { GroupRecord, PermissionRecord, UserRecord } from './store/types.js';

function user(name: string, uid: number, enabled = true): UserRecord {
  return {
    name,
    uid,
    gid: uid,
    passwordHash: '',
    role: 'user',
    enabled,
    mustChangePassword: false,
    tokenVersion: 0,
    createdAt: '',
  };
}
const users = [user('alice', 1000), user('bob', 1001), user('carol', 1002), user('dave', 1003, false)];
const groups: GroupRecord[] = [{ name: 'staff', gid: 50, members: ['bob', 'alice', 'dave'] }];
const perms: PermissionRecord[] = [
  { share: '/r', kind: 'user', principal: 'alice', level: 'read' },
  { share: '/r', kind: 'group', principal: 'staff', level: 'read-write' },
  { share: '/n', kind: 'user', principal: 'carol', level: 'none' },
];
const share = (name: string) => ({ name }) as Share;
const sys = (uid: number, gid = uid, gids: number[] = []) => ({ uid, gid, gids });

describe('share permissions for NFS callers', () => {
  const idx = new PermissionIndex();
  idx.rebuild(users, groups, perms);

  it('leaves a share without rows open to every caller', () => {
    expect(idx.authorize(share('/open'), sys(4242), { address: '10.0.0.1' })).toBe('write');
    expect(idx.authorize(share('/open'), undefined, { address: '10.0.0.1' })).toBe('write');
  });

  it('an explicit user row wins over a higher group row', () => {
    expect(idx.authorize(share('/r'), sys(1000), { address: '' })).toBe('read');
  });

  it('members get their group level; so do callers presenting the group gid', () => {
    expect(idx.authorize(share('/r'), sys(1001), { address: '' })).toBe('write');
    expect(idx.authorize(share('/r'), sys(7777, 7777, [50]), { address: '' })).toBe('write');
  });

  it('unknown uids, AUTH_NONE, disabled users and none rows get no access on restricted shares', () => {
    expect(idx.authorize(share('/r'), sys(9999), { address: '' })).toBe('none');
    expect(idx.authorize(share('/r'), undefined, { address: '' })).toBe('none');
    expect(idx.authorize(share('/r'), sys(1003), { address: '' })).toBe('none');
    expect(idx.authorize(share('/n'), sys(1002), { address: '' })).toBe('none');
  });

  it('follows a rebuild', () => {
    const i2 = new PermissionIndex();
    i2.rebuild(users, groups, perms);
    i2.rebuild(users, groups, []);
    expect(i2.restricted('/r')).toBe(false);
    expect(i2.authorize(share('/r'), sys(9999), { address: '' })).toBe('write');
  });
});

describe('share levels of control-plane users by name (API share admins)', () => {
  const idx = new PermissionIndex();
  idx.rebuild(users, groups, [
    { share: '/a', kind: 'group', principal: 'staff', level: 'admin' },
    { share: '/a', kind: 'user', principal: 'alice', level: 'read' },
    { share: '/a', kind: 'user', principal: 'carol', level: 'admin' },
  ]);

  it('a user row decides; otherwise the highest group the user is a member of', () => {
    expect(idx.userLevel('/a', 'alice')).toBe('read');
    expect(idx.userLevel('/a', 'bob')).toBe('admin');
    expect(idx.userLevel('/a', 'carol')).toBe('admin');
  });

  it('disabled users, strangers, other shares and open shares grant nothing', () => {
    expect(idx.userLevel('/a', 'dave')).toBe('none');
    expect(idx.userLevel('/a', 'nobody')).toBe('none');
    expect(idx.userLevel('/b', 'carol')).toBe('none');
    expect(idx.restricted('/b')).toBe(false);
  });

  it('admin is read-write for NFS', () => {
    expect(idx.authorize(share('/a'), sys(1002), { address: '' })).toBe('write');
  });
});
