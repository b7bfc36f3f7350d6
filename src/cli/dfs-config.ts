import type { Command } from 'commander';
import { ConfigError, envKeys, loadConfigFile } from '../controlplane/config.js';
import { describeUrl } from '../controlplane/store/postgres-store.js';

/** `dfs config validate FILE` and `dfs config env`. */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('Check configuration files and list environment overrides');
  config
    .command('validate')
    .description('Check a configuration file (with DITTOFS_* variables applied); names the wrong key')
    .argument('<file>', 'YAML configuration file')
    .option('--no-env', 'ignore DITTOFS_* environment variables')
    .action(async (file: string, opts: { env: boolean }) => {
      try {
        const cfg = await loadConfigFile(file, {}, opts.env ? process.env : {});
        // The URL may carry a password: only host, port and database are shown.
        const db =
          cfg.database.type === 'postgres'
            ? `postgres ${describeUrl(cfg.database.url)} schema ${cfg.database.schema}`
            : `sqlite ${cfg.database.path}`;
        console.log(
          `${file}: valid (${cfg.shares.length} share(s), NFS port ${cfg.port}, API ${cfg.api.enabled ? `${cfg.api.host}:${cfg.api.port}` : 'disabled'}, control-plane database ${db})`,
        );
      } catch (e) {
        if (e instanceof ConfigError) {
          console.error(`${file}: invalid: ${e.message}`);
          process.exit(1);
        }
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          console.error(`${file}: no such file (create one with: dfs init ${file})`);
          process.exit(1);
        }
        throw e;
      }
    });
  config
    .command('env')
    .description('List the DITTOFS_* environment variable of every configuration key')
    .action(() => {
      for (const { key, env } of envKeys()) console.log(`${env.padEnd(34)} ${key}`);
    });
}
