import { Type } from '@fastify/type-provider-typebox';
import type { ControlPlane } from '../../controlplane.js';
import { Id32, Name, Role, User, authErrors } from '../schemas.js';
import type { Api } from '../server.js';

const Params = Type.Object({ name: Name });

export function registerUserRoutes(app: Api, cp: ControlPlane): void {
  app.get(
    '/api/v1/users',
    { schema: { tags: ['users'], response: { 200: Type.Array(User), ...authErrors } } },
    async () => cp.listUsers(),
  );

  app.post(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        description:
          'Create a user. uid/gid are the NFS (AUTH_SYS) identity that maps to this user. The user must change the password at first login.',
        body: Type.Object(
          {
            name: Name,
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            role: Type.Optional(Role),
            uid: Id32,
            gid: Type.Optional(Id32),
          },
          { additionalProperties: false },
        ),
        response: { 201: User, ...authErrors },
      },
    },
    async (req, reply) => reply.code(201).send(await cp.createUser(req.body)),
  );

  app.get(
    '/api/v1/users/:name',
    { schema: { tags: ['users'], params: Params, response: { 200: User, ...authErrors } } },
    async (req) => cp.getUser(req.params.name),
  );

  app.patch(
    '/api/v1/users/:name',
    {
      schema: {
        tags: ['users'],
        description:
          'Change role, NFS identity, enabled flag, or set a new password (which the user must change at next login).',
        params: Params,
        body: Type.Object(
          {
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
            role: Type.Optional(Role),
            uid: Type.Optional(Id32),
            gid: Type.Optional(Id32),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: User, ...authErrors },
      },
    },
    async (req) => cp.updateUser(req.params.name, req.body),
  );

  app.delete(
    '/api/v1/users/:name',
    { schema: { tags: ['users'], params: Params, response: { 204: Type.Null(), ...authErrors } } },
    async (req, reply) => {
      await cp.deleteUser(req.params.name, req.principal!.sub);
      return reply.code(204).send(null);
    },
  );
}
