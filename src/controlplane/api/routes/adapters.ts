import { Type } from '@fastify/type-provider-typebox';
import type { ControlPlane } from '../../controlplane.js';
import { Adapter, Name, authErrors } from '../schemas.js';
import type { Api } from '../server.js';

export function registerAdapterRoutes(app: Api, cp: ControlPlane): void {
  app.get(
    '/api/v1/adapters',
    { schema: { tags: ['adapters'], response: { 200: Type.Array(Adapter), ...authErrors } } },
    async () => cp.listAdapters(),
  );

  app.get(
    '/api/v1/adapters/:name',
    { schema: { tags: ['adapters'], params: Type.Object({ name: Name }), response: { 200: Adapter, ...authErrors } } },
    async (req) => cp.getAdapter(req.params.name),
  );

  app.patch(
    '/api/v1/adapters/:name',
    {
      schema: {
        tags: ['adapters'],
        description:
          'Enable or disable an adapter, or move it to another port; takes effect at once and persists across restarts.',
        params: Type.Object({ name: Name }),
        body: Type.Object(
          { enabled: Type.Optional(Type.Boolean()), port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Adapter, ...authErrors },
      },
    },
    async (req) => cp.updateAdapter(req.params.name, req.body),
  );
}
