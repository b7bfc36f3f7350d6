import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_NEW_PASSWORD, startApiFixture, type ApiFixture } from './test-server.js';

describe('REST API: login, tokens, password change', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await startApiFixture();
  });
  afterAll(async () => f.close());

  const login = (username: string, password: string, ip = '127.0.0.1') =>
    f.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: ip });

  it('logs in with the right password and returns both tokens', async () => {
    const r = await login('admin', ADMIN_NEW_PASSWORD);
    expect(r.statusCode).toBe(200);
    const t = r.json();
    expect(t).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, mustChangePassword: false });
    expect(t.accessToken).toMatch(/^ey/);
    const me = await f.api.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${t.accessToken}` } });
    expect(me.json()).toMatchObject({ name: 'admin', role: 'admin' });
  });

  it('refuses a wrong password, an unknown user and a malformed body with stable codes', async () => {
    expect((await login('admin', 'wrong-password', '10.9.9.1')).json().error.code).toBe('INVALID_CREDENTIALS');
    expect((await login('ghost', 'whatever', '10.9.9.1')).statusCode).toBe(401);
    const bad = await f.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('rate-limits repeated failures from one client (429), even for the right password', async () => {
    for (let i = 0; i < 10; i++) await login('admin', 'nope-nope', '10.1.2.3');
    const r = await login('admin', ADMIN_NEW_PASSWORD, '10.1.2.3');
    expect(r.statusCode).toBe(429);
    expect(r.json().error.code).toBe('RATE_LIMITED');
  });

  it('refresh gives a new access token; a refresh token is not an access token and vice versa', async () => {
    const t = (await login('admin', ADMIN_NEW_PASSWORD)).json();
    const r = await f.api.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: t.refreshToken },
    });
    expect(r.statusCode).toBe(200);
    expect(
      (await f.api.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${t.refreshToken}` } }))
        .statusCode,
    ).toBe(401);
    const wrong = await f.api.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: t.accessToken },
    });
    expect(wrong.json().error.code).toBe('INVALID_TOKEN');
  });

  it('forces a new user to change the password before anything else, then revokes old refresh tokens', async () => {
    const created = await f.api.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: f.admin,
      payload: { name: 'eve', password: 'first-password', uid: 2000, role: 'admin' },
    });
    expect(created.statusCode).toBe(201);
    const t = (await login('eve', 'first-password')).json();
    expect(t.mustChangePassword).toBe(true);
    const auth = { authorization: `Bearer ${t.accessToken}` };
    const blocked = await f.api.inject({ url: '/api/v1/users', headers: auth });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const tooShort = await f.api.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: auth,
      payload: { currentPassword: 'first-password', newPassword: 'short' },
    });
    expect(tooShort.json().error.code).toBe('VALIDATION_FAILED');
    const wrongCurrent = await f.api.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: auth,
      payload: { currentPassword: 'not-it-at-all', newPassword: 'second-password' },
    });
    expect(wrongCurrent.statusCode).toBe(401);
    const ok = await f.api.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: auth,
      payload: { currentPassword: 'first-password', newPassword: 'second-password' },
    });
    expect(ok.statusCode).toBe(200);
    const fresh = { authorization: `Bearer ${ok.json().accessToken}` };
    expect((await f.api.inject({ url: '/api/v1/users', headers: fresh })).statusCode).toBe(200);
    const old = await f.api.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: t.refreshToken },
    });
    expect(old.statusCode).toBe(401);
  });

  it('rejects missing, malformed and forged bearer tokens with 401 UNAUTHENTICATED', async () => {
    for (const authorization of [
      undefined,
      'Bearer',
      'Basic abc',
      'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2ln',
    ]) {
      const r = await f.api.inject({ url: '/api/v1/users', headers: authorization ? { authorization } : {} });
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHENTICATED');
    }
  });
});
