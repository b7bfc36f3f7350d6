import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../../observability/logger.js';
import { silentLogger } from '../../observability/logger.js';
import type { BlockStore } from '../../storage/block/store.js';
import type { MetadataStore } from '../../storage/metadata/store.js';

export interface ReclaimOptions {
  /** The share's opened metadata store (the server may be serving it). */
  meta: MetadataStore;
  /** The share's opened block store; one without `listContent` is left alone. */
  blocks: BlockStore;
  logger?: Logger;
  /** Stop early (the share is being removed or the server stops). */
  signal?: AbortSignal;
  /** Ids listed, inodes read or contents deleted between two turns of the event loop (default 512). */
  batch?: number;
}

export interface ReclaimResult {
  /** Content ids the block store listed at the start. */
  listed: number;
  /** Inodes read from the metadata snapshot. */
  inodes: number;
  /** Content ids deleted. */
  reclaimed: number;
  /** Set when the run deleted nothing on purpose (and why). */
  skipped?: string;
  elapsedMs: number;
}

const PAGE = 1000;

/**
 * Delete the content that no inode references, while the share is served
 * (docs/fsck.md "Crashes and unreferenced content"). The VFS deletes a
 * removed file's content after the metadata commit, so a crash in between
 * leaves content nothing references; `dfs fsck --repair` finds the same.
 *
 * Why this is safe against concurrent requests, in this order:
 * 1. The block store's content ids are listed first (for the fs store, the
 *    table it built at open: a snapshot of the start).
 * 2. Then one metadata snapshot (`view`) is read, started after the listing
 *    ended. A regular file gets its content id in the transaction that
 *    creates it, and a client can write only once that create has committed
 *    (it needs the handle from the reply), so content a request created
 *    during step 1 belongs to an inode the snapshot sees. Content ids are
 *    never reused (they include the inode's random generation), so content
 *    unreferenced in the snapshot is referenced by no inode now or later.
 * 3. What was listed and is unreferenced is deleted: orphans from before the
 *    start, and content of files removed meanwhile (which the VFS deletes
 *    too; deleting twice is harmless).
 * A regular file without a content id would get one derived at its first
 * write, after the data: if the snapshot holds one, nothing is deleted.
 */
export async function reclaimOrphanedContent(opts: ReclaimOptions): Promise<ReclaimResult> {
  const started = performance.now();
  const log = opts.logger ?? silentLogger;
  const batch = Math.max(1, opts.batch ?? 512);
  const result: ReclaimResult = { listed: 0, inodes: 0, reclaimed: 0, elapsedMs: 0 };
  const stopped = (): boolean => opts.signal?.aborted === true;
  const done = (skipped?: string): ReclaimResult => {
    if (skipped !== undefined) result.skipped = skipped;
    result.elapsedMs = Math.round(performance.now() - started);
    return result;
  };
  if (opts.blocks.listContent === undefined) return done('the block store cannot list its content');

  const candidates = new Set<string>();
  for await (const id of opts.blocks.listContent()) {
    candidates.add(id);
    // Listing a large store must not hold up requests: give the event loop a turn now and then.
    if (++result.listed % batch === 0) {
      await nextTurn();
      if (stopped()) return done('stopped');
    }
  }
  if (candidates.size === 0) return done();

  let unnamedContent = false;
  await opts.meta.view(async (tx) => {
    let after = 0;
    for (;;) {
      const page = await tx.listInodes(after, PAGE);
      if (page.length === 0) return;
      for (const i of page) {
        if (i.contentId !== undefined) candidates.delete(i.contentId);
        else if (i.type === 'reg') unnamedContent = true;
      }
      result.inodes += page.length;
      after = page[page.length - 1].id;
      await nextTurn();
      if (stopped()) return;
    }
  });
  if (stopped()) return done('stopped');
  if (unnamedContent) return done('a regular file has no content id: its content cannot be told from an orphan');

  for (const id of candidates) {
    if (stopped()) return done('stopped');
    try {
      await opts.blocks.delete(id);
      result.reclaimed++;
    } catch (err) {
      log.warn({ err, contentId: id }, 'reclaiming unreferenced content failed');
    }
    if (result.reclaimed % batch === 0) await nextTurn();
  }
  return done();
}

/**
 * One background run of {@link reclaimOrphanedContent} for a share that is
 * being served: started without waiting, stopped (and awaited) before the
 * share's stores close.
 */
export class ContentReclaim {
  private readonly abort = new AbortController();
  /** The run's result; undefined if it failed (the failure is logged). */
  readonly done: Promise<ReclaimResult | undefined>;

  constructor(opts: Omit<ReclaimOptions, 'signal'> & { onDone?: (r: ReclaimResult) => void }) {
    const log = opts.logger ?? silentLogger;
    this.done = (async () => {
      // Let the caller finish opening the share (and start serving) first.
      await nextTurn();
      try {
        const r = await reclaimOrphanedContent({ ...opts, signal: this.abort.signal });
        const fields = { ...r };
        if (r.reclaimed > 0) log.info(fields, 'reclaimed content that no inode references (left by a crash)');
        else log.debug(fields, 'no unreferenced content to reclaim');
        opts.onDone?.(r);
        return r;
      } catch (err) {
        if (!this.abort.signal.aborted) log.warn({ err }, 'reclaiming unreferenced content failed');
        return undefined;
      }
    })();
  }

  /** Stop at the next batch and wait until the run has let go of the stores. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
