import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from '../../observability/logger.js';
import { VERSION } from '../../cli/version.js';
import type { AccessClaims } from '../auth/tokens.js';
import { ConfigError, type ApiConfig } from '../config.js';
import type { ControlPlane } from '../controlplane.js';
import { ControlPlaneError } from '../errors.js';
import { registerAdapterRoutes } from './routes/adapters.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerGroupRoutes } from './routes/groups.js';
import { registerShareRoutes } from './routes/shares.js';
import { registerStoreRoutes } from './routes/stores.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerUserRoutes } from './routes/users.js';

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * Who may call a route: `public` (health, login), `self` (any logged-in
 * user, even one who must still change the password), `user` (any logged-in
 * user with a current password), `admin`.
 */
export type Access = 'public' | 'self' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal?: AccessClaims;
  }
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

async function authenticate(cp: ControlPlane, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  // Routes default to admin-only; the OpenAPI document and its page are public.
  const access = req.routeOptions.config.access ?? (req.routeOptions.url?.startsWith('/api/docs') ? 'public' : 'admin');
  if (access === 'public') return;
  const m = BEARER.exec(req.headers.authorization ?? '');
  const claims = m ? await cp.tokens.verifyAccess(m[1]) : undefined;
  if (!claims) {
    await sendError(
      reply,
      401,
      'UNAUTHENTICATED',
      'missing or expired access token; run `dfsctl login` (or POST /api/v1/auth/login)',
    );
    return reply;
  }
  req.principal = claims;
  if (access === 'self') return;
  if (claims.pwc) {
    await sendError(
      reply,
      403,
      'PASSWORD_CHANGE_REQUIRED',
      'change your password first: dfsctl passwd (POST /api/v1/auth/password)',
    );
    return reply;
  }
  if (access === 'admin' && claims.role !== 'admin') {
    await sendError(reply, 403, 'FORBIDDEN', `user ${claims.sub} is not an administrator`);
    return reply;
  }
}

/** PEM certificate chain and private key of the HTTPS listener, as read at start. */
export interface ApiTlsMaterial {
  cert: Buffer;
  key: Buffer;
}

async function readPem(path: string, key: 'api.tlsCert' | 'api.tlsKey'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new ConfigError(key, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Read and check the configured certificate and key, so that a wrong file
 * is reported by the key that names it (not as an OpenSSL error at listen).
 */
export async function loadApiTls(tls: { cert: string; key: string }): Promise<ApiTlsMaterial> {
  const cert = await readPem(tls.cert, 'api.tlsCert');
  const key = await readPem(tls.key, 'api.tlsKey');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (e) {
    throw new ConfigError('api.tlsCert', `${tls.cert} is not a PEM certificate (${(e as Error).message})`);
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) {
      throw new ConfigError('api.tlsKey', `${tls.key} is not the private key of the certificate in ${tls.cert}`);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('api.tlsKey', `${tls.key} is not a PEM private key (${(e as Error).message})`);
  }
  return { cert, key };
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts where clear-text HTTP never leaves the machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The base URL clients use: https when TLS is configured; IPv6 hosts in brackets. */
export function apiBaseUrl(api: Pick<ApiConfig, 'host' | 'tls'>, port: number): string {
  const host = isIP(api.host) === 6 ? `[${api.host}]` : api.host;
  return `${api.tls ? 'https' : 'http'}://${host}:${port}`;
}

/**
 * The REST API (fastify) over a ControlPlane: /api/v1/*, OpenAPI at
 * /api/docs (JSON at /api/docs/json), /health, /ready, /metrics.
 * Errors are `{ error: { code, message } }` with stable codes.
 *
 * With `api.tls` (cp.config) it serves HTTPS only, TLS 1.2 or later; the
 * certificate and key are read here, once. Without TLS on a host other
 * than loopback it warns: tokens and passwords would cross the network in
 * clear text.
 */
export async function buildApi(cp: ControlPlane, parentLogger: Logger): Promise<Api> {
  const logger = parentLogger.child({ component: 'api' });
  const { tls, host } = cp.config.api;
  const material = tls ? await loadApiTls(tls) : undefined;
  if (!tls && !isLoopbackHost(host)) {
    logger.warn(
      { host },
      'control-plane API listens on a non-loopback address without TLS: tokens and passwords cross the network in clear text; set api.tlsCert and api.tlsKey',
    );
  }
  const app = Fastify({
    // RFC 8996 retires TLS 1.0 and 1.1: refuse them whatever Node's default is.
    ...(material ? { https: { cert: material.cert, key: material.key, minVersion: 'TLSv1.2' as const } } : {}),
    // Request bodies are small JSON documents.
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'DittoFS control plane',
        version: VERSION,
        description: 'Users, groups, permissions, stores, shares and adapters of a running DittoFS server.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.addHook('onRequest', (req, reply) => authenticate(cp, req, reply));
  app.addHook('onResponse', (req, reply, done) => {
    // Never log bodies or headers: they carry passwords and tokens.
    if (logger.isLevelEnabled('debug'))
      logger.debug(
        { method: req.method, url: req.routeOptions.url, status: reply.statusCode, user: req.principal?.sub },
        'api request',
      );
    done();
  });

  app.setErrorHandler((err: Error & { validation?: unknown; statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof ControlPlaneError) return sendError(reply, err.status, err.code, err.message);
    if (err.validation) return sendError(reply, 400, 'VALIDATION_FAILED', err.message);
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(
        reply,
        err.statusCode,
        err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST',
        err.message,
      );
    }
    logger.error({ err, url: req.routeOptions.url }, 'api: unexpected error');
    return sendError(reply, 500, 'INTERNAL', 'internal error (see the server log)');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'NOT_FOUND', `no route ${req.method} ${req.url}`));

  registerSystemRoutes(app, cp);
  registerAuthRoutes(app, cp);
  registerUserRoutes(app, cp);
  registerGroupRoutes(app, cp);
  registerShareRoutes(app, cp);
  registerStoreRoutes(app, cp);
  registerAdapterRoutes(app, cp);
  await app.ready();
  return app;
}
