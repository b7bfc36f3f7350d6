import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { shareName, type ControlPlane } from '../../controlplane.js';
import { Level, Name, Permission, Share, ShareOptions, authErrors } from '../schemas.js';
import type { Api } from '../server.js';

/** A share in a URL: its name without the leading slash, URL-encoded ("/a/b" → "a%2Fb"). */
const ShareParam = Type.String({ minLength: 1, maxLength: 255 });
const Params = Type.Object({ share: ShareParam });
const Kind = Type.Union([Type.Literal('user'), Type.Literal('group')]);

/**
 * Routes an administrator of the share may call as well as a server
 * administrator (docs/control-plane.md "Share administrators"): a user
 * whose level on the share is `admin`. Runs after the server's token check
 * (route hooks follow the app's), so `principal` is set and the password
 * is current.
 */
function shareAdminAccess(cp: ControlPlane) {
  return {
    config: { access: 'user' as const },
    onRequest: async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const who = req.principal;
      if (!who || who.role === 'admin') return;
      const share = shareName((req.params as { share: string }).share);
      if (cp.permissions.userLevel(share, who.sub) === 'admin') return;
      await reply.code(403).send({
        error: {
          code: 'FORBIDDEN',
          message: `user ${who.sub} is neither an administrator nor an admin of share ${share}`,
        },
      });
    },
  };
}

export function registerShareRoutes(app: Api, cp: ControlPlane): void {
  const shareAdmin = shareAdminAccess(cp);
  app.get(
    '/api/v1/shares',
    { config: { access: 'user' }, schema: { tags: ['shares'], response: { 200: Type.Array(Share), ...authErrors } } },
    async () => cp.listShares(),
  );

  app.post(
    '/api/v1/shares',
    {
      schema: {
        tags: ['shares'],
        description: 'Create a share on existing stores; it is exported (mountable) at once.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 2, maxLength: 255 }),
            metadataStore: Name,
            blockStore: Name,
            ...Object.fromEntries(Object.entries(ShareOptions).map(([k, v]) => [k, Type.Optional(v)])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Share, ...authErrors },
      },
    },
    async (req, reply) => {
      const body = req.body as Parameters<ControlPlane['createShare']>[0];
      return reply.code(201).send(await cp.createShare(body));
    },
  );

  app.get(
    '/api/v1/shares/:share',
    {
      config: { access: 'user' },
      schema: { tags: ['shares'], params: Params, response: { 200: Share, ...authErrors } },
    },
    async (req) => cp.getShare(shareName(req.params.share)),
  );

  app.patch(
    '/api/v1/shares/:share',
    {
      ...shareAdmin,
      schema: {
        tags: ['shares'],
        description:
          'Change the export options of a share created through the API; clients see them at their next request. Allowed to administrators and to admins of the share. Changing durability of an exported share gives 409 SHARE_REEXPORT_REQUIRED.',
        params: Params,
        body: Type.Object(Object.fromEntries(Object.entries(ShareOptions).map(([k, v]) => [k, Type.Optional(v)])), {
          additionalProperties: false,
          minProperties: 1,
        }),
        response: { 200: Share, ...authErrors },
      },
    },
    async (req) => cp.updateShare(shareName(req.params.share), req.body as Parameters<ControlPlane['updateShare']>[1]),
  );

  app.delete(
    '/api/v1/shares/:share',
    {
      schema: {
        tags: ['shares'],
        description:
          'Stop exporting a share created through the API and forget it (its data stays in the stores). Shares from the configuration file give 409 SHARE_MANAGED_BY_CONFIG.',
        params: Params,
        response: { 204: Type.Null(), ...authErrors },
      },
    },
    async (req, reply) => {
      await cp.deleteShare(shareName(req.params.share));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/shares/:share/permissions',
    {
      ...shareAdmin,
      schema: {
        tags: ['permissions'],
        description: "List a share's permissions (administrators and admins of the share).",
        params: Params,
        response: { 200: Type.Array(Permission), ...authErrors },
      },
    },
    async (req) => cp.listPermissions(shareName(req.params.share)),
  );

  app.put(
    '/api/v1/shares/:share/permissions',
    {
      ...shareAdmin,
      schema: {
        tags: ['permissions'],
        description:
          'Grant a user or group a level on a share (none, read, read-write, admin; admin also lets a user manage the share through this API). A share with no permission rows is open to every NFS caller the export options admit. Administrators and admins of the share.',
        params: Params,
        body: Type.Object({ kind: Kind, name: Name, level: Level }, { additionalProperties: false }),
        response: { 200: Permission, ...authErrors },
      },
    },
    async (req) =>
      cp.setPermission({
        share: shareName(req.params.share),
        kind: req.body.kind,
        principal: req.body.name,
        level: req.body.level,
      }),
  );

  app.delete(
    '/api/v1/shares/:share/permissions/:kind/:name',
    {
      ...shareAdmin,
      schema: {
        tags: ['permissions'],
        description: 'Revoke a permission row (administrators and admins of the share).',
        params: Type.Object({ share: ShareParam, kind: Kind, name: Name }),
        response: { 204: Type.Null(), ...authErrors },
      },
    },
    async (req, reply) => {
      await cp.deletePermission(shareName(req.params.share), req.params.kind, req.params.name);
      return reply.code(204).send(null);
    },
  );
}
