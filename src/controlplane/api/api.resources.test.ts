import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture, type ApiFixture } from './test-server.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

describe('REST API resources', () => {
  let f: ApiFixture;
  let userAuth: { authorization: string };
  beforeAll(async () => {
    f = await startApiFixture();
    // An ordinary (non-admin) user who has changed the password.
    await call('POST', '/api/v1/users', { name: 'ursula', password: 'ursula-pw-1', uid: 3000 });
    const t = (
      await f.api.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'ursula', password: 'ursula-pw-1' },
      })
    ).json();
    const c = await f.api.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { authorization: `Bearer ${t.accessToken}` },
      payload: { currentPassword: 'ursula-pw-1', newPassword: 'ursula-pw-2' },
    });
    userAuth = { authorization: `Bearer ${c.json().accessToken}` };
  });
  afterAll(async () => f.close());

  function call(method: Method, url: string, payload?: unknown, headers: Record<string, string> = f.admin) {
    return f.api.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  }

  it('users: create, show, list, update, delete; duplicates and bad input are refused', async () => {
    const c = await call('POST', '/api/v1/users', { name: 'alice', password: 'alice-pw-1', uid: 1000 });
    expect(c.statusCode).toBe(201);
    expect(c.json()).toMatchObject({ name: 'alice', uid: 1000, gid: 1000, role: 'user', mustChangePassword: true });
    expect(c.body).not.toMatch(/argon2|passwordHash/);
    expect(
      (await call('POST', '/api/v1/users', { name: 'alice', password: 'alice-pw-1', uid: 1 })).json().error.code,
    ).toBe('CONFLICT');
    expect((await call('POST', '/api/v1/users', { name: 'bob', password: 'x', uid: 1 })).json().error.code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await call('POST', '/api/v1/users', { name: '9bad', password: 'long-enough', uid: 1 })).statusCode).toBe(
      400,
    );
    expect((await call('POST', '/api/v1/users', { name: 'bob', password: 'long-enough', uid: -1 })).statusCode).toBe(
      400,
    );
    expect(
      (await call('POST', '/api/v1/users', { name: 'bob', password: 'long-enough', uid: 1, extra: 1 })).statusCode,
    ).toBe(400);
    expect((await call('GET', '/api/v1/users/alice')).json().uid).toBe(1000);
    expect((await call('GET', '/api/v1/users')).json().map((u: { name: string }) => u.name)).toEqual([
      'admin',
      'alice',
      'ursula',
    ]);
    const p = await call('PATCH', '/api/v1/users/alice', { uid: 1500, enabled: false });
    expect(p.json()).toMatchObject({ uid: 1500, enabled: false });
    expect((await call('PATCH', '/api/v1/users/alice', {})).statusCode).toBe(400);
    expect((await call('PATCH', '/api/v1/users/admin', { role: 'user' })).json().error.code).toBe('CONFLICT');
    expect((await call('GET', '/api/v1/users/nobody')).json().error.code).toBe('NOT_FOUND');
    expect((await call('DELETE', '/api/v1/users/alice')).statusCode).toBe(204);
    expect((await call('DELETE', '/api/v1/users/alice')).statusCode).toBe(404);
    expect((await call('DELETE', '/api/v1/users/admin')).statusCode).toBe(409);
  });

  it('groups and membership', async () => {
    expect((await call('POST', '/api/v1/groups', { name: 'staff', gid: 50 })).statusCode).toBe(201);
    expect((await call('POST', '/api/v1/groups', { name: 'staff', gid: 51 })).statusCode).toBe(409);
    expect((await call('POST', '/api/v1/groups', { name: 'x' })).statusCode).toBe(400);
    expect((await call('PUT', '/api/v1/groups/staff/members/ursula')).json().members).toEqual(['ursula']);
    expect((await call('PUT', '/api/v1/groups/staff/members/ghost')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/users/ursula')).json().groups).toEqual(['staff']);
    expect((await call('GET', '/api/v1/groups')).json()).toEqual([{ name: 'staff', gid: 50, members: ['ursula'] }]);
    expect((await call('DELETE', '/api/v1/groups/staff/members/ursula')).json().members).toEqual([]);
    expect((await call('DELETE', '/api/v1/groups/staff/members/ursula')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/groups/staff')).statusCode).toBe(200);
    expect((await call('DELETE', '/api/v1/groups/staff')).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/groups/staff')).statusCode).toBe(404);
  });

  it('stores: create, list, show; unknown types refused; a used store cannot be deleted', async () => {
    expect((await call('POST', '/api/v1/stores/metadata', { name: 'mem', type: 'memory' })).statusCode).toBe(201);
    const fs = await call('POST', '/api/v1/stores/block', { name: 'disk', type: 'fs' });
    expect(fs.json().path).toBe(`${f.dataDir}/block-stores/disk`);
    expect((await call('POST', '/api/v1/stores/block', { name: 'x', type: 'lmdb' })).json().error.code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await call('POST', '/api/v1/stores/block', { name: 'y', type: 'memory', path: '/tmp' })).statusCode).toBe(
      400,
    );
    expect((await call('POST', '/api/v1/stores/other', { name: 'z', type: 'memory' })).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/stores/metadata')).json()).toEqual([
      { kind: 'metadata', name: 'mem', type: 'memory' },
    ]);
    expect((await call('GET', '/api/v1/stores/block/disk')).json().type).toBe('fs');
    expect(
      (await call('POST', '/api/v1/shares', { name: '/s1', metadataStore: 'mem', blockStore: 'disk' })).statusCode,
    ).toBe(201);
    const inUse = await call('DELETE', '/api/v1/stores/block/disk');
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error.code).toBe('STORE_IN_USE');
    expect((await call('DELETE', '/api/v1/shares/s1')).statusCode).toBe(204);
    expect((await call('DELETE', '/api/v1/stores/block/disk')).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/stores/block/disk')).statusCode).toBe(404);
  });

  it('shares: config shares are listed read-only, API shares are exported at once and removed at once', async () => {
    await call('POST', '/api/v1/stores/block', { name: 'bmem', type: 'memory' });
    const c = await call('POST', '/api/v1/shares', {
      name: '/team',
      metadataStore: 'mem',
      blockStore: 'bmem',
      readOnly: true,
      allowedClients: ['10.0.0.0/8'],
    });
    expect(c.statusCode).toBe(201);
    expect(c.json()).toMatchObject({
      name: '/team',
      source: 'api',
      exported: true,
      options: { readOnly: true, rootSquash: true },
    });
    expect(f.server.runtime.shares.byName('/team')?.options.allowedClients).toEqual(['10.0.0.0/8']);
    expect(
      (await call('POST', '/api/v1/shares', { name: '/team', metadataStore: 'mem', blockStore: 'bmem' })).statusCode,
    ).toBe(409);
    expect(
      (await call('POST', '/api/v1/shares', { name: '/export', metadataStore: 'mem', blockStore: 'bmem' })).statusCode,
    ).toBe(409);
    expect(
      (await call('POST', '/api/v1/shares', { name: '/u', metadataStore: 'nope', blockStore: 'bmem' })).statusCode,
    ).toBe(404);
    expect(
      (
        await call('POST', '/api/v1/shares', {
          name: '/v',
          metadataStore: 'mem',
          blockStore: 'bmem',
          allowedClients: ['10.0.0.0/40'],
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (await call('POST', '/api/v1/shares', { name: '/a/../b', metadataStore: 'mem', blockStore: 'bmem' })).statusCode,
    ).toBe(400);
    const list = (await call('GET', '/api/v1/shares')).json();
    expect(list.map((s: { name: string; source: string }) => `${s.name}:${s.source}`)).toEqual([
      '/export:config',
      '/team:api',
    ]);
    expect((await call('GET', '/api/v1/shares/team')).json().name).toBe('/team');
    expect((await call('GET', '/api/v1/shares/%2Fteam')).json().name).toBe('/team');
    const upd = await call('PATCH', '/api/v1/shares/team', { readOnly: false, allowedClients: [] });
    expect(upd.json().options).toMatchObject({ readOnly: false, allowedClients: [], rootSquash: true });
    expect(f.server.runtime.shares.byName('/team')?.options).toMatchObject({ readOnly: false, allowedClients: [] });
    expect((await call('PATCH', '/api/v1/shares/team', {})).statusCode).toBe(400);
    expect((await call('PATCH', '/api/v1/shares/team', { allowedClients: ['nope'] })).statusCode).toBe(400);
    expect((await call('PATCH', '/api/v1/shares/ghost', { readOnly: true })).statusCode).toBe(404);
    expect((await call('PATCH', '/api/v1/shares/export', { readOnly: true })).json().error.code).toBe(
      'SHARE_MANAGED_BY_CONFIG',
    );
    const managed = await call('DELETE', '/api/v1/shares/export');
    expect(managed.json().error.code).toBe('SHARE_MANAGED_BY_CONFIG');
    expect((await call('DELETE', '/api/v1/shares/team')).statusCode).toBe(204);
    expect(f.server.runtime.shares.byName('/team')).toBeUndefined();
    expect((await call('GET', '/api/v1/shares/team')).statusCode).toBe(404);
  });

  it('permissions: grant, list, replace, revoke; unknown principals and levels refused', async () => {
    await call('POST', '/api/v1/groups', { name: 'ops', gid: 60 });
    const put = await call('PUT', '/api/v1/shares/export/permissions', { kind: 'user', name: 'ursula', level: 'read' });
    expect(put.json()).toEqual({ share: '/export', kind: 'user', principal: 'ursula', level: 'read' });
    await call('PUT', '/api/v1/shares/export/permissions', { kind: 'group', name: 'ops', level: 'read-write' });
    await call('PUT', '/api/v1/shares/export/permissions', { kind: 'user', name: 'ursula', level: 'admin' });
    expect((await call('GET', '/api/v1/shares/export/permissions')).json()).toHaveLength(2);
    expect(
      (await call('PUT', '/api/v1/shares/export/permissions', { kind: 'user', name: 'ghost', level: 'read' }))
        .statusCode,
    ).toBe(404);
    expect(
      (await call('PUT', '/api/v1/shares/export/permissions', { kind: 'user', name: 'ursula', level: 'all' }))
        .statusCode,
    ).toBe(400);
    expect(
      (await call('PUT', '/api/v1/shares/nope/permissions', { kind: 'user', name: 'ursula', level: 'read' }))
        .statusCode,
    ).toBe(404);
    expect(f.server.controlPlane.permissions.level('/export', { uid: 3000, gid: 3000, gids: [] })).toBe('admin');
    expect((await call('DELETE', '/api/v1/shares/export/permissions/user/ursula')).statusCode).toBe(204);
    expect((await call('DELETE', '/api/v1/shares/export/permissions/user/ursula')).statusCode).toBe(404);
    expect((await call('DELETE', '/api/v1/shares/export/permissions/group/ops')).statusCode).toBe(204);
    expect(f.server.controlPlane.permissions.restricted('/export')).toBe(false);
  });

  it('adapters: show, disable (stops listening), enable on another port', async () => {
    const list = (await call('GET', '/api/v1/adapters')).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'nfs', enabled: true, listening: true });
    expect((await call('GET', '/api/v1/adapters/smb')).statusCode).toBe(404);
    expect((await call('PATCH', '/api/v1/adapters/nfs', { port: 70000 })).statusCode).toBe(400);
    const off = await call('PATCH', '/api/v1/adapters/nfs', { enabled: false });
    expect(off.json()).toMatchObject({ enabled: false, listening: false });
    expect(f.server.runtime.nfsListening).toBe(false);
    const ready = await f.api.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    const on = await call('PATCH', '/api/v1/adapters/nfs', { enabled: true, port: 0 });
    expect(on.json()).toMatchObject({ enabled: true, listening: true });
    expect(on.json().boundPort).toBeGreaterThan(0);
    expect((await call('GET', '/api/v1/adapters/nfs')).json().boundPort).toBe(on.json().boundPort);
  });

  it('health, ready, metrics and the OpenAPI document need no token; status needs one', async () => {
    expect((await f.api.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    expect((await f.api.inject({ url: '/ready' })).json()).toMatchObject({ ready: true });
    const m = await f.api.inject({ url: '/metrics' });
    expect(m.body).toMatch(/# TYPE dfs_operations_total counter/);
    const doc = (await f.api.inject({ url: '/api/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/users', '/api/v1/shares/{share}/permissions']),
    );
    expect((await f.api.inject({ url: '/api/docs' })).statusCode).toBeLessThan(400);
    expect((await f.api.inject({ url: '/api/v1/status' })).statusCode).toBe(401);
    expect((await call('GET', '/api/v1/status', undefined, userAuth)).json()).toMatchObject({
      shares: 1,
      nfs: { enabled: true },
    });
    expect((await call('GET', '/api/v1/nothing')).json().error.code).toBe('NOT_FOUND');
  });

  const ADMIN_ROUTES: [Method, string, unknown?][] = [
    ['GET', '/api/v1/users'],
    ['POST', '/api/v1/users', { name: 'zed', password: 'zed-password', uid: 9 }],
    ['GET', '/api/v1/users/admin'],
    ['PATCH', '/api/v1/users/admin', { uid: 0 }],
    ['DELETE', '/api/v1/users/ursula'],
    ['GET', '/api/v1/groups'],
    ['POST', '/api/v1/groups', { name: 'g', gid: 1 }],
    ['GET', '/api/v1/groups/g'],
    ['DELETE', '/api/v1/groups/g'],
    ['PUT', '/api/v1/groups/g/members/ursula'],
    ['DELETE', '/api/v1/groups/g/members/ursula'],
    ['GET', '/api/v1/stores/metadata'],
    ['POST', '/api/v1/stores/block', { name: 'q', type: 'memory' }],
    ['GET', '/api/v1/stores/block/q'],
    ['DELETE', '/api/v1/stores/block/q'],
    ['POST', '/api/v1/shares', { name: '/q', metadataStore: 'mem', blockStore: 'bmem' }],
    ['DELETE', '/api/v1/shares/export'],
    ['PATCH', '/api/v1/shares/export', { readOnly: true }],
    ['GET', '/api/v1/shares/export/permissions'],
    ['PUT', '/api/v1/shares/export/permissions', { kind: 'user', name: 'ursula', level: 'read-write' }],
    ['DELETE', '/api/v1/shares/export/permissions/user/ursula'],
    ['GET', '/api/v1/adapters'],
    ['GET', '/api/v1/adapters/nfs'],
    ['PATCH', '/api/v1/adapters/nfs', { enabled: false }],
  ];

  it.each(ADMIN_ROUTES)('%s %s: 401 without a token, 403 FORBIDDEN for a non-admin', async (method, url, payload) => {
    const anon = await call(method, url, payload, {});
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('UNAUTHENTICATED');
    const user = await call(method, url, payload, userAuth);
    expect(user.statusCode).toBe(403);
    expect(user.json().error.code).toBe('FORBIDDEN');
  });

  it('user-level routes (shares list/show, status, me) work for non-admins and still need a token', async () => {
    for (const url of ['/api/v1/shares', '/api/v1/shares/export', '/api/v1/status', '/api/v1/auth/me']) {
      expect((await call('GET', url, undefined, userAuth)).statusCode).toBe(200);
      expect((await call('GET', url, undefined, {})).statusCode).toBe(401);
    }
  });
});
