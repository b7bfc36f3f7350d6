import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../observability/logger.js';
import { parseConfig } from '../config.js';
import { startServer, type DittoServer } from '../server.js';
import type { Api } from './server.js';

export const ADMIN_PASSWORD = 'initial-admin-pw';
export const ADMIN_NEW_PASSWORD = 'admin-password-2';

export interface ApiFixture {
  server: DittoServer;
  api: Api;
  dataDir: string;
  /** Bearer header of the admin (password already changed). */
  admin: { authorization: string };
  close(): Promise<void>;
}

/**
 * An in-process server for API tests: memory stores, NFS and API on free
 * ports of 127.0.0.1, control-plane database in memory, admin logged in.
 */
export async function startApiFixture(
  extra: Record<string, unknown> = {},
  opts: { logger?: Logger } = {},
): Promise<ApiFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dfs-api-'));
  const config = parseConfig(
    {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      shares: [{ name: '/export', metadata: 'memory', blocks: 'memory' }],
      api: { port: 0 },
      database: { path: ':memory:' },
      ...extra,
    },
    { dataDir },
  );
  const server = await startServer(config, { adminPassword: ADMIN_PASSWORD, logger: opts.logger });
  const api = server.api!;
  const login = await api.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const first = login.json<{ accessToken: string }>();
  const changed = await api.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: { authorization: `Bearer ${first.accessToken}` },
    payload: { currentPassword: ADMIN_PASSWORD, newPassword: ADMIN_NEW_PASSWORD },
  });
  if (changed.statusCode !== 200) throw new Error(`fixture: password change failed: ${changed.body}`);
  const admin = { authorization: `Bearer ${changed.json<{ accessToken: string }>().accessToken}` };
  return {
    server,
    api,
    dataDir,
    admin,
    async close() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
