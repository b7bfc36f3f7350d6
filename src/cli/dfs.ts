#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import {
  ConfigError,
  type ShareConfig,
  loadConfigFile,
  parseConfig,
  type ServerConfig,
} from '../controlplane/config.js';
import { apiBaseUrl } from '../controlplane/api/server.js';
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

function describeMetadata(m: ShareConfig['metadata']): string {
  switch (m.type) {
    case 'memory':
      return 'in MEMORY (lost when the server stops)';
    case 'lmdb':
      return `in ${m.path} (lmdb)`;
    case 'postgres':
      return `in PostgreSQL (schema ${m.schema}, share key ${m.shareKey})`;
  }
}

function describeBlocks(b: ShareConfig['blocks'], durability: string | undefined): string {
  if (b.type === 'memory') return 'in memory';
  if (b.type === 'fs') return `in ${b.path}`;
  const remote = b.type === 's3' && b.s3 ? `, S3 bucket ${b.s3.bucket}` : '';
  return `in ${b.path} (chunked${remote}, ${durability ?? 'local-durable'})`;
}

function mountHelp(cfg: ServerConfig, port: number, smbPort: number): string {
  const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? '<server-address>' : cfg.host;
  // The kernel's lockd finds NLM through the server's portmapper on port 111
  // (TESTING.md): without it, mount with nolock.
  const locking = cfg.portmapPort === 111;
  const lockOpt = locking ? '' : ',nolock';
  const lines = [`DittoFS ${VERSION} is serving NFSv3 (with MOUNT, NLM, NSM and portmap) on ${cfg.host}:${port}`];
  for (const s of cfg.shares) {
    lines.push(
      ``,
      `Share ${s.name}: metadata ${describeMetadata(s.metadata)}, data ${describeBlocks(s.blocks, s.durability)}; ` +
        `${s.readOnly ? 'read-only' : 'read-write'}, ${s.allSquash ? 'all_squash' : s.rootSquash ? 'root_squash' : 'no_root_squash'} ` +
        `(anonymous uid ${s.anonUid}, gid ${s.anonGid})`,
      `  Linux:  sudo mount -t nfs -o vers=3,proto=tcp,port=${port},mountport=${port}${lockOpt} ${host}:${s.name} /mnt/dittofs`,
      `  macOS:  sudo mount -t nfs -o vers=3,tcp,port=${port},mountport=${port}${locking ? '' : ',nolocks'} ${host}:${s.name} /Volumes/dittofs`,
    );
  }
  if (smbPort > 0) {
    // SMB names a share without its leading slash (\\server\export for /export).
    const first = (cfg.shares[0]?.name ?? '/export').replace(/^\/+/, '');
    lines.push(
      '',
      `SMB 2.0.2–3.1.1 on ${cfg.host}:${smbPort} for control-plane users with a password (dfsctl user create):`,
      `  smbclient //${host}/${first} -p ${smbPort} -U <user> -m SMB3`,
      `  Linux:  sudo mount -t cifs -o vers=3.1.1,port=${smbPort},username=<user> //${host}/${first} /mnt/dittofs-smb`,
    );
  }
  if (!locking) {
    lines.push(
      '',
      'Byte-range locks (NLM) need the portmapper on port 111: set `portmapPort: 111` (as root) and mount without nolock.',
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
        `Control plane: ${apiBaseUrl(config.api, server.apiPort)}/api/v1 (OpenAPI at /api/docs); manage with dfsctl\n`,
      );
    }
    console.log(mountHelp(config, runtime.port, runtime.smbPort));
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
