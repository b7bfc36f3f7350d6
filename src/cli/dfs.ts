#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfigFile, parseConfig, type ServerConfig } from '../controlplane/config.js';
import { startServer, type DittoServer } from '../controlplane/server.js';
import { createLogger } from '../observability/logger.js';
import { registerFsckCommand } from './commands/fsck.js';
import { VERSION } from './version.js';
import { registerConfigCommand } from './dfs-config.js';
import { registerInitCommand } from './dfs-init.js';

function portArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function mountHelp(cfg: ServerConfig, port: number): string {
  const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? '<server-address>' : cfg.host;
  const lines = [`DittoFS ${VERSION} is serving NFSv3 (with MOUNT and portmap) on ${cfg.host}:${port}`];
  for (const s of cfg.shares) {
    lines.push(
      ``,
      `Share ${s.name}: metadata ${s.metadata.type === 'memory' ? 'in MEMORY (lost when the server stops)' : `in ${s.metadata.path} (lmdb)`}, ` +
        `data in ${s.blocks.type === 'fs' ? s.blocks.path : 'memory'}; ` +
        `${s.readOnly ? 'read-only' : 'read-write'}, ${s.allSquash ? 'all_squash' : s.rootSquash ? 'root_squash' : 'no_root_squash'} ` +
        `(anonymous uid ${s.anonUid}, gid ${s.anonGid})`,
      `  Linux:  sudo mount -t nfs -o vers=3,proto=tcp,port=${port},mountport=${port},nolock ${host}:${s.name} /mnt/dittofs`,
      `  macOS:  sudo mount -t nfs -o vers=3,tcp,port=${port},mountport=${port},nolocks ${host}:${s.name} /Volumes/dittofs`,
    );
  }
  for (const s of cfg.shares) {
    if (s.metadata.type !== 'memory' && s.blocks.type === 'memory') {
      lines.push(
        '',
        `WARNING: share ${s.name} keeps names on disk but file content in memory: content reads as zeros after a restart.`,
      );
    }
  }
  lines.push('', 'Stop with Ctrl-C (SIGINT) or SIGTERM.');
  return lines.join('\n');
}

const program = new Command();
program
  .name('dfs')
  .description('DittoFS file server: NFSv3 (with MOUNT and an embedded portmapper) over pluggable stores')
  .version(VERSION);

program
  .command('start')
  .description('Run the server in the foreground. With no options it serves /export on port 12049.')
  .option('-c, --config <file>', 'YAML configuration file (see docs/configuration.md)')
  .option('-p, --port <port>', 'TCP/UDP port for NFS, MOUNT and portmap (default 12049)', portArg)
  .option('--host <address>', 'address to listen on (default 0.0.0.0)')
  .option(
    '--data-dir <dir>',
    'directory for persistent data (default $XDG_DATA_HOME/dittofs or ~/.local/share/dittofs)',
  )
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
  .action(async (opts: { config?: string; port?: number; host?: string; dataDir?: string; logLevel?: string }) => {
    const overrides: Partial<ServerConfig> = {};
    if (opts.port !== undefined) overrides.port = opts.port;
    if (opts.host !== undefined) overrides.host = opts.host;
    if (opts.dataDir !== undefined) overrides.dataDir = opts.dataDir;
    if (opts.logLevel !== undefined) overrides.logLevel = opts.logLevel as ServerConfig['logLevel'];
    let config: ServerConfig;
    try {
      config = opts.config
        ? await loadConfigFile(opts.config, overrides, process.env)
        : parseConfig(undefined, overrides, process.env);
    } catch (e) {
      if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
        console.error(`dfs: configuration error: ${(e as Error).message}`);
        process.exit(2);
      }
      throw e;
    }
    const logger = createLogger({ level: config.logLevel });
    let server: DittoServer;
    try {
      server = await startServer(config, {
        logger,
        adminPassword: process.env.DITTOFS_ADMIN_INITIAL_PASSWORD,
        interactive: process.stdout.isTTY === true,
        announce: (text) => console.log(`\n${text}\n`),
      });
    } catch (e) {
      console.error(`dfs: cannot start: ${(e as Error).message}`);
      process.exit(1);
    }
    const { runtime } = server;
    if (server.api) {
      console.log(
        `Control plane: http://${config.api.host}:${server.apiPort}/api/v1 (OpenAPI at /api/docs); manage with dfsctl\n`,
      );
    }
    console.log(mountHelp(config, runtime.port));
    logger.info(
      { port: runtime.port, apiPort: server.apiPort, shares: runtime.shares.list().map((s) => s.name) },
      'server started',
    );

    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      server
        .stop()
        .then(() => {
          logger.info('stopped');
          logger.flush();
          process.exit(0);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          process.exit(1);
        });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });

registerFsckCommand(program);

registerInitCommand(program);
registerConfigCommand(program);

await program.parseAsync(process.argv);
