// Every route the OpenAPI document lists refuses a caller without a token,
// except the few that are public by design: a route added later without an
// access rule fails here rather than being open by accident.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture, type ApiFixture } from './test-server.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Routes anyone may call: probes, metrics, and the two ways to get a token. */
const PUBLIC = new Set([
  'GET /health',
  'GET /ready',
  'GET /metrics',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
]);

/** A value for each path parameter that names something that exists in the fixture. */
const PARAMS: Record<string, string> = { name: 'admin', share: 'export', kind: 'metadata', user: 'admin' };

describe('REST API: every documented route needs a token unless public', () => {
  let f: ApiFixture;
  let routes: Array<[Method, string]>;

  beforeAll(async () => {
    f = await startApiFixture();
    const doc = (await f.api.inject({ url: '/api/docs/json' })).json<{ paths: Record<string, object> }>();
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => [m.toUpperCase() as Method, path] as [Method, string]),
    );
  });
  afterAll(async () => {
    await f.close();
  });

  it('the document lists the API (users, shares, stores, adapters, auth)', () => {
    const paths = new Set(routes.map(([, p]) => p));
    for (const p of ['/api/v1/users', '/api/v1/shares/{share}', '/api/v1/stores/{kind}', '/api/v1/adapters/{name}'])
      expect(paths).toContain(p);
    expect(routes.length).toBeGreaterThanOrEqual(30);
  });

  it('without a token: 401 UNAUTHENTICATED everywhere but the public routes', async () => {
    const open: string[] = [];
    for (const [method, path] of routes) {
      const url = path.replace(/\{(\w+)\}/g, (_m, p: string) => encodeURIComponent(PARAMS[p] ?? 'x'));
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const r = await f.api.inject({ method, url, ...(body ? { payload: body } : {}) });
      const key = `${method} ${path}`;
      if (PUBLIC.has(key)) {
        expect(r.statusCode, key).not.toBe(401);
        continue;
      }
      if (r.statusCode !== 401 || r.json<{ error: { code: string } }>().error.code !== 'UNAUTHENTICATED')
        open.push(key);
    }
    expect(open).toEqual([]);
  });
});
