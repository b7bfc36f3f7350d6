import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { apiBaseUrl, buildApi, type Api } from './api/server.js';
import type { ServerConfig } from './config.js';
import { ClusterControlPlane, ClusterSync, nodeIdOf } from './cluster-sync.js';
import { ControlPlane } from './controlplane.js';
import { Runtime } from './runtime.js';
import { describeUrl, PostgresControlPlaneStore } from './store/postgres-store.js';
import { SqliteControlPlaneStore } from './store/sqlite-store.js';
import type { ControlPlaneStore } from './store/types.js';

export interface DittoServer {
  runtime: Runtime;
  controlPlane: ControlPlane;
  /** Absent when api.enabled is false. */
  api?: Api;
  /** The API's bound port (0 when disabled). */
  apiPort: number;
  /** Applies other nodes' changes; null on a single-node database (SQLite). */
  clusterSync: ClusterSync | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Default: the configured database (SQLite under dataDir, or PostgreSQL). */
  store?: ControlPlaneStore;
  /** Several nodes: period of the full reconcile with the database (default 30 s). */
  clusterResyncMs?: number;
  /** DITTOFS_ADMIN_INITIAL_PASSWORD. */
  adminPassword?: string;
  /** Whether a person is watching stdout (a random admin password is shown only then). */
  interactive?: boolean;
  announce?: (text: string) => void;
}

async function openControlPlaneStore(config: ServerConfig, logger: Logger): Promise<ControlPlaneStore> {
  const db = config.database;
  if (db.type === 'sqlite') return new SqliteControlPlaneStore(db.path);
  try {
    return await PostgresControlPlaneStore.open({
      url: db.url,
      schema: db.schema,
      nodeId: await nodeIdOf(config.dataDir),
      logger,
    });
  } catch (e) {
    // The URL may carry a password: the message names only host, port and database.
    throw new Error(
      `cannot open the control-plane database postgres://${describeUrl(db.url)} (schema ${db.schema}): ${(e as Error).message}`,
    );
  }
}

/**
 * The whole server: control-plane database, Runtime (configured shares,
 * then the database's), NFS adapter as stored, and the REST API. On a
 * database several nodes share (PostgreSQL), also the cluster sync that
 * applies the other nodes' changes here (docs/control-plane.md "Several nodes").
 */
export async function startServer(config: ServerConfig, opts: StartOptions = {}): Promise<DittoServer> {
  const logger = opts.logger ?? silentLogger;
  const store = opts.store ?? (await openControlPlaneStore(config, logger));
  const runtime = new Runtime(config, logger);
  const shared = store.watch !== undefined;
  const cp = new (shared ? ClusterControlPlane : ControlPlane)(
    store,
    runtime,
    config,
    logger.child({ component: 'controlplane' }),
  );
  let api: Api | undefined;
  let sync: ClusterSync | null = null;
  const stop = async () => {
    await sync?.stop();
    await api?.close();
    await runtime.stop();
    await store.close();
  };
  try {
    const init = () =>
      cp.init({ adminPassword: opts.adminPassword, interactive: opts.interactive, announce: opts.announce });
    // Nodes starting together on an empty database: one creates the JWT secret and admin, the others find them.
    if (store instanceof PostgresControlPlaneStore) await store.withClusterLock('bootstrap', init);
    else await init();
    runtime.setAuthorizer(cp.permissions.authorize);
    runtime.setSmbAccountLookup(cp.smbAccountLookup);
    const nfs = await cp.nfsAdapter();
    await runtime.start({ nfs: { enabled: nfs.enabled, port: nfs.port ?? config.port } });
    await cp.exportStoredShares();
    if (cp instanceof ClusterControlPlane) {
      sync = await ClusterSync.start(cp, { logger, resyncMs: opts.clusterResyncMs });
    }
    let apiPort = 0;
    if (config.api.enabled) {
      api = await buildApi(cp, logger);
      await api.listen({ host: config.api.host, port: config.api.port });
      const addr = api.server.address();
      apiPort = typeof addr === 'object' && addr ? addr.port : config.api.port;
      logger.info(
        { host: config.api.host, port: apiPort, url: apiBaseUrl(config.api, apiPort) },
        'control-plane API listening',
      );
    }
    return { runtime, controlPlane: cp, api, apiPort, clusterSync: sync, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
