import { Type } from '@fastify/type-provider-typebox';
import type { ControlPlane } from '../../controlplane.js';
import { Group, Id32, Name, authErrors } from '../schemas.js';
import type { Api } from '../server.js';

const Params = Type.Object({ name: Name });
const MemberParams = Type.Object({ name: Name, user: Name });

export function registerGroupRoutes(app: Api, cp: ControlPlane): void {
  app.get(
    '/api/v1/groups',
    { schema: { tags: ['groups'], response: { 200: Type.Array(Group), ...authErrors } } },
    async () => cp.listGroups(),
  );

  app.post(
    '/api/v1/groups',
    {
      schema: {
        tags: ['groups'],
        description: 'Create a group; gid is the NFS group id whose callers get the group permissions.',
        body: Type.Object({ name: Name, gid: Id32 }, { additionalProperties: false }),
        response: { 201: Group, ...authErrors },
      },
    },
    async (req, reply) => reply.code(201).send(await cp.createGroup(req.body)),
  );

  app.get(
    '/api/v1/groups/:name',
    { schema: { tags: ['groups'], params: Params, response: { 200: Group, ...authErrors } } },
    async (req) => cp.getGroup(req.params.name),
  );

  app.delete(
    '/api/v1/groups/:name',
    { schema: { tags: ['groups'], params: Params, response: { 204: Type.Null(), ...authErrors } } },
    async (req, reply) => {
      await cp.deleteGroup(req.params.name);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/api/v1/groups/:name/members/:user',
    { schema: { tags: ['groups'], params: MemberParams, response: { 200: Group, ...authErrors } } },
    async (req) => cp.addMember(req.params.name, req.params.user),
  );

  app.delete(
    '/api/v1/groups/:name/members/:user',
    { schema: { tags: ['groups'], params: MemberParams, response: { 200: Group, ...authErrors } } },
    async (req) => cp.removeMember(req.params.name, req.params.user),
  );
}
