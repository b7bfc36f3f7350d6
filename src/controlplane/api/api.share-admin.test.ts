import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Share } from '../../core/share.js';
import { startApiFixture, type ApiFixture } from './test-server.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Auth = Record<string, string>;

// docs/control-plane.md "Share administrators": the admin level on a share
// lets a user manage that share through the API, and nothing else.
describe('REST API: share administrators', () => {
  let f: ApiFixture;
  let sam: Auth; // admin of /team through a user row
  let gail: Auth; // admin of /team through the group leads
  let nora: Auth; // read-write on /team

  function call(method: Method, url: string, payload?: unknown, headers: Auth = f.admin) {
    return f.api.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  }

  /** A user who has logged in and set their own password. */
  async function userWithToken(name: string, uid: number): Promise<Auth> {
    expect((await call('POST', '/api/v1/users', { name, password: `${name}-pw-1`, uid })).statusCode).toBe(201);
    const first = await call('POST', '/api/v1/auth/login', { username: name, password: `${name}-pw-1` }, {});
    const changed = await call(
      'POST',
      '/api/v1/auth/password',
      { currentPassword: `${name}-pw-1`, newPassword: `${name}-pw-2` },
      { authorization: `Bearer ${first.json().accessToken}` },
    );
    return { authorization: `Bearer ${changed.json().accessToken}` };
  }

  beforeAll(async () => {
    f = await startApiFixture();
    await call('POST', '/api/v1/stores/metadata', { name: 'm', type: 'memory' });
    await call('POST', '/api/v1/stores/block', { name: 'b', type: 'memory' });
    for (const name of ['/team', '/other'])
      expect((await call('POST', '/api/v1/shares', { name, metadataStore: 'm', blockStore: 'b' })).statusCode).toBe(
        201,
      );
    sam = await userWithToken('sam', 2001);
    gail = await userWithToken('gail', 2002);
    nora = await userWithToken('nora', 2003);
    await call('POST', '/api/v1/groups', { name: 'leads', gid: 700 });
    await call('PUT', '/api/v1/groups/leads/members/gail');
    await call('PUT', '/api/v1/shares/team/permissions', { kind: 'user', name: 'sam', level: 'admin' });
    await call('PUT', '/api/v1/shares/team/permissions', { kind: 'group', name: 'leads', level: 'admin' });
    await call('PUT', '/api/v1/shares/team/permissions', { kind: 'user', name: 'nora', level: 'read-write' });
  });
  afterAll(async () => f.close());

  it('may see the share, manage its permissions and update its options', async () => {
    expect((await call('GET', '/api/v1/shares/team', undefined, sam)).statusCode).toBe(200);
    const list = await call('GET', '/api/v1/shares/team/permissions', undefined, sam);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toHaveLength(3);
    const put = await call(
      'PUT',
      '/api/v1/shares/team/permissions',
      { kind: 'user', name: 'nora', level: 'read' },
      sam,
    );
    expect(put.statusCode).toBe(200);
    expect(f.server.controlPlane.permissions.level('/team', { uid: 2003, gid: 2003, gids: [] })).toBe('read');
    const patch = await call('PATCH', '/api/v1/shares/team', { readOnly: true }, sam);
    expect(patch.statusCode).toBe(200);
    expect(f.server.runtime.shares.byName('/team')?.options.readOnly).toBe(true);
    expect((await call('PATCH', '/api/v1/shares/team', { readOnly: false }, gail)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/shares/team/permissions', undefined, gail)).statusCode).toBe(200);
    await call('PUT', '/api/v1/shares/team/permissions', { kind: 'user', name: 'nora', level: 'read-write' }, gail);
    expect((await call('DELETE', '/api/v1/shares/team/permissions/user/nora', undefined, sam)).statusCode).toBe(204);
    expect(
      (await call('PUT', '/api/v1/shares/team/permissions', { kind: 'user', name: 'nora', level: 'read-write' }, sam))
        .statusCode,
    ).toBe(200);
  });

  const FORBIDDEN: [string, Method, string, unknown?][] = [
    ['another share: permissions', 'GET', '/api/v1/shares/other/permissions'],
    ['another share: grant', 'PUT', '/api/v1/shares/other/permissions', { kind: 'user', name: 'sam', level: 'admin' }],
    ['another share: revoke', 'DELETE', '/api/v1/shares/export/permissions/user/sam'],
    ['another share: options', 'PATCH', '/api/v1/shares/other', { readOnly: true }],
    ['deleting the share', 'DELETE', '/api/v1/shares/team'],
    ['creating shares', 'POST', '/api/v1/shares', { name: '/new', metadataStore: 'm', blockStore: 'b' }],
    ['users', 'GET', '/api/v1/users'],
    ['changing a user', 'PATCH', '/api/v1/users/nora', { enabled: false }],
    ['groups', 'PUT', '/api/v1/groups/leads/members/sam'],
    ['stores', 'POST', '/api/v1/stores/block', { name: 'x', type: 'memory' }],
    ['adapters', 'PATCH', '/api/v1/adapters/nfs', { enabled: false }],
  ];

  it.each(FORBIDDEN)('may not touch %s: 403 FORBIDDEN', async (_what, method, url, payload) => {
    for (const who of [sam, gail]) {
      const r = await call(method, url, payload, who);
      expect(r.statusCode, r.body).toBe(403);
      expect(r.json().error.code).toBe('FORBIDDEN');
    }
  });

  it('read-write is not admin; without a token it is 401', async () => {
    for (const [method, url, payload] of [
      ['GET', '/api/v1/shares/team/permissions', undefined],
      ['PUT', '/api/v1/shares/team/permissions', { kind: 'user', name: 'nora', level: 'admin' }],
      ['PATCH', '/api/v1/shares/team', { readOnly: true }],
    ] as [Method, string, unknown][]) {
      const r = await call(method, url, payload, nora);
      expect(r.statusCode).toBe(403);
      expect(r.json().error).toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringMatching(/admin of share \/team/),
      });
      expect((await call(method, url, payload, {})).json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('over NFS the admin level grants read-write', () => {
    const team = { name: '/team' } as Share;
    expect(
      f.server.controlPlane.permissions.authorize(team, { uid: 2001, gid: 2001, gids: [] }, { address: '127.0.0.1' }),
    ).toBe('write');
  });

  it('a lower user row overrides a group admin; revoking or disabling takes effect at once', async () => {
    await call('PUT', '/api/v1/shares/team/permissions', { kind: 'user', name: 'gail', level: 'read' });
    expect((await call('GET', '/api/v1/shares/team/permissions', undefined, gail)).statusCode).toBe(403);
    await call('DELETE', '/api/v1/shares/team/permissions/user/gail');
    expect((await call('GET', '/api/v1/shares/team/permissions', undefined, gail)).statusCode).toBe(200);
    await call('PATCH', '/api/v1/users/gail', { enabled: false });
    expect((await call('GET', '/api/v1/shares/team/permissions', undefined, gail)).statusCode).toBe(403);
    await call('DELETE', '/api/v1/shares/team/permissions/user/sam');
    expect((await call('PATCH', '/api/v1/shares/team', { readOnly: true }, sam)).statusCode).toBe(403);
  });
});
