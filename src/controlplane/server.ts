import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { apiBaseUrl, buildApi, type Api } from './api/server.js';
import type { ServerConfig } from './config.js';
import { ControlPlane } from './controlplane.js';
import { Runtime } from './runtime.js';
import { SqliteControlPlaneStore } from './store/sqlite-store.js';
import type { ControlPlaneStore } from './store/types.js';

export interface DittoServer {
  runtime: Runtime;
  controlPlane: ControlPlane;
  /** Absent when api.enabled is false. */
  api?: Api;
  /** The API's bound port (0 when disabled). */
  apiPort: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Default: the configured database (SQLite under dataDir). */
  store?: ControlPlaneStore;
  /** DITTOFS_ADMIN_INITIAL_PASSWORD. */
  adminPassword?: string;
  /** Whether a person is watching stdout (a random admin password is shown only then). */
  interactive?: boolean;
  announce?: (text: string) => void;
}

function openControlPlaneStore(config: ServerConfig): ControlPlaneStore {
  if (config.database.type === 'sqlite') return new SqliteControlPlaneStore(config.database.path);
  throw new Error('control-plane database type postgres is not built yet');
}

/**
 * The whole server: control-plane database, Runtime (configured shares,
 * then the database's), NFS adapter as stored, and the REST API.
 */
export async function startServer(config: ServerConfig, opts: StartOptions = {}): Promise<DittoServer> {
  const logger = opts.logger ?? silentLogger;
  const store = opts.store ?? openControlPlaneStore(config);
  const runtime = new Runtime(config, logger);
  const cp = new ControlPlane(store, runtime, config, logger.child({ component: 'controlplane' }));
  let api: Api | undefined;
  const stop = async () => {
    await api?.close();
    await runtime.stop();
    await store.close();
  };
  try {
    await cp.init({ adminPassword: opts.adminPassword, interactive: opts.interactive, announce: opts.announce });
    runtime.setAuthorizer(cp.permissions.authorize);
    const nfs = await cp.nfsAdapter();
    await runtime.start({ nfs: { enabled: nfs.enabled, port: nfs.port ?? config.port } });
    await cp.exportStoredShares();
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
    return { runtime, controlPlane: cp, api, apiPort, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
