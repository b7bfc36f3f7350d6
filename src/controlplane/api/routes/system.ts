import { Type } from '@fastify/type-provider-typebox';
import { VERSION } from '../../../cli/version.js';
import type { ControlPlane } from '../../controlplane.js';
import { authErrors } from '../schemas.js';
import type { Api } from '../server.js';

/** /health (process alive), /ready (serving), /metrics (Prometheus), /api/v1/status. */
export function registerSystemRoutes(app: Api, cp: ControlPlane): void {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: { tags: ['system'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        description: '200 when every enabled adapter listens; 503 otherwise',
        response: {
          200: Type.Object({ ready: Type.Boolean(), nfs: Type.Boolean() }),
          503: Type.Object({ ready: Type.Boolean(), nfs: Type.Boolean() }),
        },
      },
    },
    async (_req, reply) => {
      const nfs = await cp.nfsAdapter();
      const ready = !nfs.enabled || cp.runtime.nfsListening;
      return reply.code(ready ? 200 : 503).send({ ready, nfs: cp.runtime.nfsListening });
    },
  );

  app.get(
    '/metrics',
    { config: { access: 'public' }, schema: { tags: ['system'], hide: false } },
    async (_req, reply) => {
      const registry = cp.runtime.metrics.registry;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );

  app.get(
    '/api/v1/status',
    {
      config: { access: 'user' },
      schema: {
        tags: ['system'],
        response: {
          200: Type.Object({
            version: Type.String(),
            startedAt: Type.String(),
            uptimeSeconds: Type.Number(),
            shares: Type.Integer(),
            nfs: Type.Object({ enabled: Type.Boolean(), listening: Type.Boolean(), port: Type.Integer() }),
          }),
          ...authErrors,
        },
      },
    },
    async () => {
      const nfs = await cp.nfsAdapter();
      return {
        version: VERSION,
        startedAt: cp.startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - cp.startedAt.getTime()) / 1000),
        shares: cp.runtime.shares.list().length,
        nfs: { enabled: nfs.enabled, listening: cp.runtime.nfsListening, port: cp.runtime.port },
      };
    },
  );
}
