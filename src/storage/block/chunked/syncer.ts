import { EventEmitter } from 'node:events';
import type { Logger } from '../../../observability/logger.js';
import type { ChunkIndex } from './chunk-index.js';
import type { RemoteChunkStore } from './tiers.js';

export interface SyncerOptions {
  /** Uploads in flight at once (default 4). */
  concurrency?: number;
  /** First retry delay after a failed upload (ms, default 100); doubles per consecutive failure. */
  retryBaseMs?: number;
  /** Longest retry delay (ms, default 5000). */
  retryMaxMs?: number;
}

/**
 * Uploads chunks from the local tier to the remote one in the background.
 * The work list is the index's durable `pending` set, so uploads that a
 * crash interrupted resume at the next open. Bounded concurrency; after a
 * failure every upload waits an exponentially growing delay, and `healthy`
 * is false until an upload succeeds again (durability modes consult it).
 * Emits 'uploaded' (hash) after the index records a chunk as remote.
 */
export class Syncer extends EventEmitter {
  private readonly queue = new Set<string>();
  /** Hashes being uploaded now; the collector never collects these. */
  readonly inflight = new Set<string>();
  private failures = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly concurrency: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  healthy = true;
  lastError: unknown;

  constructor(
    private readonly index: ChunkIndex,
    private readonly remote: RemoteChunkStore,
    private readonly source: (hash: string) => Promise<Buffer | undefined>,
    private readonly log: Logger,
    opts: SyncerOptions = {},
  ) {
    super();
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.retryBaseMs = opts.retryBaseMs ?? 100;
    this.retryMaxMs = opts.retryMaxMs ?? 5000;
  }

  /** Load the durable pending set (after a restart) and start. */
  start(): void {
    for (const key of this.index.pending.getKeys()) this.queue.add(key);
    this.pump();
  }

  /** New chunks to upload (already in the durable pending set). */
  enqueue(hashes: Iterable<string>): void {
    for (const h of hashes) this.queue.add(h);
    this.pump();
  }

  /** Number of chunks waiting or in flight. */
  backlog(): number {
    return this.queue.size + this.inflight.size;
  }

  private pump(): void {
    if (this.closed) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
    for (const hash of this.queue) {
      if (this.inflight.size >= this.concurrency) break;
      this.queue.delete(hash);
      this.inflight.add(hash);
      void this.upload(hash).finally(() => {
        this.inflight.delete(hash);
        if (this.inflight.size === 0 && this.queue.size === 0) this.emit('idle');
        this.pump();
      });
    }
  }

  private async upload(hash: string): Promise<void> {
    const rec = this.index.chunks.get(hash);
    if (rec === undefined || rec.remote) {
      await this.index.pending.remove(hash);
      return;
    }
    if (this.index.doomed.get(hash) !== undefined) {
      // The collector still has to delete an older copy of this object:
      // uploading now could be undone by that delete. Try again shortly.
      this.retryLater(hash, false);
      return;
    }
    try {
      const data = await this.source(hash);
      if (data === undefined) {
        this.log.error({ hash }, 'chunk to upload is missing from the local tier; dropping it from the pending set');
        await this.index.pending.remove(hash);
        return;
      }
      await this.remote.put(hash, data);
      await this.index.env.transaction(() => {
        const now = this.index.chunks.get(hash);
        if (now !== undefined) this.index.chunks.put(hash, { ...now, remote: true });
        this.index.pending.remove(hash);
      });
      this.failures = 0;
      this.healthy = true;
      this.emit('uploaded', hash);
    } catch (e) {
      this.lastError = e;
      this.log.warn({ hash, err: e instanceof Error ? e.message : String(e) }, 'chunk upload failed; will retry');
      this.retryLater(hash, true);
    }
  }

  private retryLater(hash: string, failed: boolean): void {
    this.queue.add(hash);
    let delay = 50;
    if (failed) {
      this.failures++;
      this.healthy = false;
      delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(20, this.failures - 1));
      this.emit('failed', hash);
    }
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
  }

  /** Wait for in-flight uploads to settle (not for the queue: it resumes at the next open). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    while (this.inflight.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
