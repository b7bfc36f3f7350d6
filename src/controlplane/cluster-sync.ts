import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ShareOptions } from '../core/share.js';
import type { Logger } from '../observability/logger.js';
import { ControlPlane } from './controlplane.js';
import type { ShareRecord, StoreChange } from './store/types.js';

/** Full reconcile period: the fallback when a notification is lost (docs/control-plane.md "Several nodes"). */
export const DEFAULT_RESYNC_MS = 30_000;

const NODE_ID_FILE = 'node-id';

/**
 * This node's name in a cluster: kept in dataDir/node-id, created at the
 * first start as `<hostname>-<random>`, so it stays the same across
 * restarts and differs between two nodes on one host. Per-node settings
 * (adapters) are keyed by it.
 */
export async function nodeIdOf(dataDir: string): Promise<string> {
  const file = join(dataDir, NODE_ID_FILE);
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (id.length > 0) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = `${hostname()}-${randomBytes(4).toString('hex')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${id}\n`, { flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  return (await readFile(file, 'utf8')).trim();
}

/** Runs async jobs one after another (a promise chain). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * A ControlPlane whose share changes run one at a time with the cluster
 * sync's: otherwise a reconcile could see a share this node's API has just
 * written to the database but not yet exported, and export it a second time
 * (or, on deletion, export it again between the two steps).
 */
export class ClusterControlPlane extends ControlPlane {
  readonly shareChanges = new SerialQueue();

  override createShare(...args: Parameters<ControlPlane['createShare']>): ReturnType<ControlPlane['createShare']> {
    return this.shareChanges.run(() => super.createShare(...args));
  }

  override updateShare(...args: Parameters<ControlPlane['updateShare']>): ReturnType<ControlPlane['updateShare']> {
    return this.shareChanges.run(() => super.updateShare(...args));
  }

  override deleteShare(...args: Parameters<ControlPlane['deleteShare']>): ReturnType<ControlPlane['deleteShare']> {
    return this.shareChanges.run(() => super.deleteShare(...args));
  }
}

export interface ClusterSyncOptions {
  logger: Logger;
  /** Full reconcile period in ms (default {@link DEFAULT_RESYNC_MS}). */
  resyncMs?: number;
}

/** What a change asks this node to reload. */
function needs(c: StoreChange): { permissions: boolean; shares: boolean } {
  switch (c.topic) {
    case 'users':
    case 'groups':
    case 'permissions':
      return { permissions: true, shares: false };
    // Deleting a share deletes its permission rows too.
    case 'shares':
    case 'stores':
    case 'resync':
      return { permissions: true, shares: true };
    // Adapters are per node; settings (the JWT secret) are read at start only.
    case 'adapters':
    case 'settings':
      return { permissions: false, shares: false };
  }
}

function sameOptions(live: ShareOptions, wanted: ShareRecord['options']): boolean {
  return (Object.keys(live) as (keyof ShareOptions)[]).every(
    (k) => JSON.stringify(live[k]) === JSON.stringify(wanted[k]),
  );
}

/**
 * Keeps this node's live state equal to a control-plane database that
 * other nodes change too (docs/control-plane.md "Several nodes").
 *
 * On a change another node committed (the store's `watch`: PostgreSQL
 * LISTEN/NOTIFY), the node reloads its permission index and reconciles the
 * API shares: it exports shares that appeared, stops exporting those that
 * were deleted, and applies changed options. Every `resyncMs`, and after
 * the watch reconnects, it does both in full, so a lost notification delays
 * a change but never loses it. Changes this node made itself are already
 * applied by its ControlPlane and are skipped.
 */
export class ClusterSync {
  private stopWatch?: () => Promise<void>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private pending = { permissions: false, shares: false };
  private stopped = false;

  private constructor(
    private readonly cp: ClusterControlPlane,
    private readonly logger: Logger,
  ) {}

  /** Start watching; resolves once listening. Null when the store cannot be watched (a single-node database). */
  static async start(cp: ClusterControlPlane, opts: ClusterSyncOptions): Promise<ClusterSync | null> {
    const watch = cp.store.watch?.bind(cp.store);
    if (!watch) return null;
    const sync = new ClusterSync(cp, opts.logger.child({ component: 'cluster-sync' }));
    sync.stopWatch = await watch((c) => sync.onChange(c));
    sync.timer = setInterval(
      () => sync.request({ permissions: true, shares: true }),
      opts.resyncMs ?? DEFAULT_RESYNC_MS,
    );
    sync.timer.unref();
    // What other nodes changed between this node's start-up reads and the LISTEN.
    void sync.request({ permissions: true, shares: true });
    sync.logger.info('watching the control-plane database for changes made by other nodes');
    return sync;
  }

  private onChange(c: StoreChange): void {
    if (c.local) return;
    this.logger.debug({ topic: c.topic, name: c.name }, 'control-plane change from another node');
    this.request(needs(c));
  }

  /**
   * Ask for a reload; requests arriving while one runs are merged into one
   * more pass after it. Resolves when the pass that covers this request is done.
   */
  request(what: { permissions: boolean; shares: boolean }): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pending.permissions ||= what.permissions;
    this.pending.shares ||= what.shares;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (this.pending.permissions || this.pending.shares)) {
      const what = this.pending;
      this.pending = { permissions: false, shares: false };
      try {
        if (what.shares) await this.cp.shareChanges.run(() => this.reconcileShares());
        if (what.permissions) await this.cp.reloadPermissions();
      } catch (e) {
        // The database is unreachable or a query failed: the next change or period tries again.
        this.logger.warn({ err: e }, 'control-plane reconcile failed');
      }
    }
  }

  /** Make the exported API shares match the database's. */
  private async reconcileShares(): Promise<void> {
    const fromFile = new Set(this.cp.config.shares.map((s) => s.name));
    const wanted = new Map<string, ShareRecord>();
    for (const r of await this.cp.store.listShares()) if (!fromFile.has(r.name)) wanted.set(r.name, r);
    const runtime = this.cp.runtime;

    for (const live of runtime.shares.list()) {
      if (fromFile.has(live.name) || wanted.has(live.name)) continue;
      if (this.stopped) return;
      await runtime.removeShare(live.name);
      this.logger.info({ share: live.name }, 'share deleted on another node: no longer exported');
    }
    for (const r of wanted.values()) {
      if (this.stopped) return;
      const live = runtime.shares.byName(r.name);
      if (!live) {
        try {
          await runtime.addShare(await this.cp.shareConfigOf(r));
          this.logger.info({ share: r.name }, 'share created on another node: exported');
        } catch (e) {
          this.logger.error({ share: r.name, err: e }, 'cannot export a share created on another node');
        }
      } else if (!sameOptions(live.options, r.options)) {
        runtime.updateShareOptions(r.name, r.options);
        this.logger.info({ share: r.name }, 'share options changed on another node: applied');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.stopWatch?.();
    await this.running;
  }
}
