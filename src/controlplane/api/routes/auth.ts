import { Type } from '@fastify/type-provider-typebox';
import type { ControlPlane } from '../../controlplane.js';
import { ErrorBody, Tokens, User, authErrors } from '../schemas.js';
import type { Api } from '../server.js';

export function registerAuthRoutes(app: Api, cp: ControlPlane): void {
  app.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        security: [],
        description:
          'Exchange a user name and password for a short-lived access token and a refresh token. Failed attempts are rate-limited per client and per user.',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 1024 }),
        }),
        response: { 200: Tokens, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (req) => cp.login(req.body.username, req.body.password, req.ip),
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        security: [],
        body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 4096 }) }),
        response: { 200: Tokens, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => cp.refresh(req.body.refreshToken),
  );

  app.get(
    '/api/v1/auth/me',
    { config: { access: 'self' }, schema: { tags: ['auth'], response: { 200: User, ...authErrors } } },
    async (req) => cp.getUser(req.principal!.sub),
  );

  app.post(
    '/api/v1/auth/password',
    {
      config: { access: 'self' },
      schema: {
        tags: ['auth'],
        description:
          'Change your own password (required after the first login). Returns fresh tokens; older refresh tokens stop working.',
        body: Type.Object({
          currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
          newPassword: Type.String({ minLength: 1, maxLength: 1024 }),
        }),
        response: { 200: Tokens, ...authErrors },
      },
    },
    async (req) => cp.changeOwnPassword(req.principal!.sub, req.body.currentPassword, req.body.newPassword),
  );
}
