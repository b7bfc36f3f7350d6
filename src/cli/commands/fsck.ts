import type { Command } from 'commander';
import {
  ConfigError,
  loadConfigFile,
  parseConfig,
  type ServerConfig,
  type ShareConfig,
} from '../../controlplane/config.js';
import { MutableShareRegistry } from '../../controlplane/share-registry.js';
import { openShareStores } from '../../controlplane/stores.js';
import { checkShareStores, formatReport, isClean, type CheckReport } from '../../core/fsck/index.js';
import { Vfs } from '../../core/vfs/vfs.js';
import { createLogger, type Logger } from '../../observability/logger.js';

interface FsckOptions {
  config?: string;
  dataDir?: string;
  share?: string;
  repair?: boolean;
  json?: boolean;
}

/** Exit codes, as fsck(8) users expect them to mean roughly: clean, problems left, could not check. */
export const FSCK_CLEAN = 0;
export const FSCK_PROBLEMS = 1;
export const FSCK_ERROR = 2;

type ShareResult =
  | { share: string; status: 'clean' | 'problems'; report: CheckReport }
  | { share: string; status: 'skipped'; reason: string }
  | { share: string; status: 'error'; error: string };

/** `dfs fsck`: check (and with --repair fix) the stores of the configured shares while no server uses them. */
export function registerFsckCommand(program: Command): void {
  program
    .command('fsck')
    .description(
      'Check the metadata and content stores of the configured shares for what a crash could leave behind ' +
        '(dangling entries, wrong link counts, cycles, orphans, unreferenced content, chunk reference counts); ' +
        'the server must be stopped (a running server also reclaims unreferenced content by itself at start). ' +
        'Exit code 0: clean (warnings allowed), 1: problems left, 2: could not check. See docs/fsck.md.',
    )
    .option('-c, --config <file>', 'YAML configuration file, as for dfs start')
    .option('--data-dir <dir>', 'directory for persistent data, as for dfs start')
    .option('--share <name>', 'check only this share (e.g. /export)')
    .option(
      '--repair',
      'fix what is found: remove dangling entries, fix counts, reattach orphans in /lost+found, reclaim content',
    )
    .option('--json', 'print one JSON document instead of text')
    .action(async (opts: FsckOptions) => {
      process.exitCode = await runFsck(opts);
    });
}

export async function runFsck(opts: FsckOptions): Promise<number> {
  let config: ServerConfig;
  try {
    const overrides: Partial<ServerConfig> = { logLevel: 'warn' };
    if (opts.dataDir !== undefined) overrides.dataDir = opts.dataDir;
    config = opts.config ? await loadConfigFile(opts.config, overrides) : parseConfig(undefined, overrides);
  } catch (e) {
    if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error(`dfs fsck: configuration error: ${(e as Error).message}`);
      return FSCK_ERROR;
    }
    throw e;
  }
  const shares = opts.share === undefined ? config.shares : config.shares.filter((s) => s.name === opts.share);
  if (shares.length === 0) {
    console.error(
      `dfs fsck: no share named ${opts.share} (configured: ${config.shares.map((s) => s.name).join(', ')})`,
    );
    return FSCK_ERROR;
  }
  const logger = createLogger({ level: config.logLevel });
  const registry = new MutableShareRegistry();
  const results: ShareResult[] = [];
  for (const sc of shares) {
    const r = await checkOne(sc, registry.idFor(sc.name), opts.repair === true, logger);
    results.push(r);
    if (opts.json !== true) printResult(r, opts.repair === true);
  }
  const code = results.some((r) => r.status === 'error')
    ? FSCK_ERROR
    : results.some((r) => r.status === 'problems')
      ? FSCK_PROBLEMS
      : FSCK_CLEAN;
  if (opts.json === true)
    console.log(JSON.stringify({ repair: opts.repair === true, exitCode: code, shares: results }, null, 2));
  return code;
}

async function checkOne(sc: ShareConfig, shareId: number, repair: boolean, logger: Logger): Promise<ShareResult> {
  if (sc.metadata.type === 'memory') {
    return { share: sc.name, status: 'skipped', reason: 'metadata in memory: nothing persists between runs' };
  }
  const { meta, blocks } = await openShareStores(sc, logger);
  try {
    // Opening through the VFS makes the stores exactly as the server would (root created if missing).
    // The LMDB store refuses to open while a server holds it (its pid owner file).
    await Vfs.create({ shareId, meta, blocks, rootMode: sc.rootMode, rootUid: 0, rootGid: 0, logger });
  } catch (e) {
    await blocks.close().catch(() => undefined);
    await meta.close().catch(() => undefined);
    const msg = (e as Error).message;
    const inUse = /in use by process (\d+)/.exec(msg);
    return {
      share: sc.name,
      status: 'error',
      error: inUse
        ? `${msg}: a running server uses this share; stop it (SIGTERM) and run dfs fsck again`
        : `cannot open the stores: ${msg}`,
    };
  }
  try {
    const report = await checkShareStores({ meta, blocks, repair });
    return { share: sc.name, status: isClean(report) ? 'clean' : 'problems', report };
  } catch (e) {
    return { share: sc.name, status: 'error', error: (e as Error).message };
  } finally {
    await blocks.close();
    await meta.close();
  }
}

function printResult(r: ShareResult, repair: boolean): void {
  if (r.status === 'skipped') console.log(`${r.share}: skipped (${r.reason})`);
  else if (r.status === 'error') console.error(`dfs fsck: ${r.share}: ${r.error}`);
  else console.log(formatReport(r.share, r.report, repair));
}
