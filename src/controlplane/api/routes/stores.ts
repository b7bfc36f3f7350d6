import { Type } from '@fastify/type-provider-typebox';
import type { ControlPlane } from '../../controlplane.js';
import { Name, Store, StoreSettings, authErrors } from '../schemas.js';
import type { Api } from '../server.js';

const Kind = Type.Union([Type.Literal('metadata'), Type.Literal('block')]);

/** /api/v1/stores/metadata and /api/v1/stores/block. */
export function registerStoreRoutes(app: Api, cp: ControlPlane): void {
  app.get(
    '/api/v1/stores/:kind',
    {
      schema: {
        tags: ['stores'],
        params: Type.Object({ kind: Kind }),
        response: { 200: Type.Array(Store), ...authErrors },
      },
    },
    async (req) => cp.listStores(req.params.kind),
  );

  app.post(
    '/api/v1/stores/:kind',
    {
      schema: {
        tags: ['stores'],
        description:
          'Create a store: metadata types memory | lmdb | postgres (settings url, schema), block types memory | fs | tiered | s3 (settings chunkSize, localBudgetBytes; s3 also settings.s3 with at least bucket). On-disk stores keep one subdirectory per share under path (default dataDir/<kind>-stores/<name>). Secrets (settings.s3.secretAccessKey, a password in settings.url) are never shown back: they read "***".',
        params: Type.Object({ kind: Kind }),
        body: Type.Object(
          {
            name: Name,
            type: Type.String({ minLength: 1, maxLength: 32 }),
            path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
            settings: Type.Optional(StoreSettings),
          },
          { additionalProperties: false },
        ),
        response: { 201: Store, ...authErrors },
      },
    },
    async (req, reply) => reply.code(201).send(await cp.createStore({ kind: req.params.kind, ...req.body })),
  );

  app.get(
    '/api/v1/stores/:kind/:name',
    {
      schema: {
        tags: ['stores'],
        params: Type.Object({ kind: Kind, name: Name }),
        response: { 200: Store, ...authErrors },
      },
    },
    async (req) => cp.getStore(req.params.kind, req.params.name),
  );

  app.delete(
    '/api/v1/stores/:kind/:name',
    {
      schema: {
        tags: ['stores'],
        description: 'Delete a store that no share uses (409 STORE_IN_USE otherwise). Data on disk is kept.',
        params: Type.Object({ kind: Kind, name: Name }),
        response: { 204: Type.Null(), ...authErrors },
      },
    },
    async (req, reply) => {
      await cp.deleteStore(req.params.kind, req.params.name);
      return reply.code(204).send(null);
    },
  );
}
