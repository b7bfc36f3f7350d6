import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { dfsCommand, REPO_ROOT } from './server.js';

/**
 * Run the real `dfsctl` (built or from source, as `dfs` is run) against a
 * test server's API, with its contexts kept in `configDir`. Resolves with
 * stdout; rejects with stderr when it exits non-zero.
 */
export async function runDfsctl(apiPort: number, configDir: string, args: string[], stdin = ''): Promise<string> {
  const cmd = (await dfsCommand()).map((a) => a.replace(/dfs\.(ts|js)$/, 'dfsctl.$1'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [...cmd, '--server', `http://127.0.0.1:${apiPort}`, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, DFSCTL_CONFIG: join(configDir, 'dfsctl.json') } },
      (err, stdout, stderr) => (err ? reject(new Error(`dfsctl ${args.join(' ')}: ${stderr}`)) : resolve(stdout)),
    );
    child.stdin!.end(stdin);
  });
}

/**
 * Log dfsctl in as the bootstrap `admin` (created with `bootstrapPassword`
 * from DITTOFS_ADMIN_INITIAL_PASSWORD) and make the forced first password
 * change, so the context in `configDir` can run every command.
 */
export async function loginAsAdmin(apiPort: number, configDir: string, bootstrapPassword: string): Promise<void> {
  await runDfsctl(apiPort, configDir, ['login', '--user', 'admin', '--password-stdin'], `${bootstrapPassword}\n`);
  await runDfsctl(apiPort, configDir, ['passwd', '--password-stdin'], `${bootstrapPassword}\ne2e-admin-pw\n`);
}
