import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FsError } from '../../../core/errors.js';
import type { Logger } from '../../../observability/logger.js';
import { silentLogger } from '../../../observability/logger.js';
import { validateContentId } from '../fs/content-path.js';
import { acquireBlockOwner } from '../owner-lock.js';
import { checkRange } from '../range.js';
import type { BlockStore, BlockStoreIssue, DurabilityMode } from '../store.js';
import { ChunkCache } from './chunk-cache.js';
import { hashBatch, sha256 } from './chunk-hasher.js';
import { ChunkIndex } from './chunk-index.js';
import { KeyedMutex, SharedExclusiveLock } from './locks.js';
import { Syncer, type SyncerOptions } from './syncer.js';
import type { LocalChunkTier, RemoteChunkStore } from './tiers.js';

export interface ChunkedBlockStoreOptions {
  /** Directory of the store's own LMDB index (created if missing). */
  dir: string;
  local: LocalChunkTier;
  /** Object store behind the local tier; without one the local tier is the only copy. */
  remote?: RemoteChunkStore;
  /** Bytes per chunk (default 1 MiB, 4 KiB to 16 MiB). */
  chunkSize?: number;
  /** When commit resolves (default 'local-durable'). */
  durability?: DurabilityMode;
  /** Local-tier bytes allowed before uploaded chunks are evicted and new writes get DELAY (default unbounded). */
  localBudgetBytes?: number;
  /** Unflushed bytes buffered in memory before writers wait for a flush (default 64 MiB). */
  maxDirtyBytes?: number;
  /** In-memory chunk cache (default 64 MiB). */
  cacheBytes?: number;
  /** Chunks fetched ahead of a sequential reader (default 4). */
  readAheadChunks?: number;
  /** Background flush period for buffered writes (ms, default 1000). */
  flushIntervalMs?: number;
  /** Background garbage collection period (ms, default 30000; 0 = only explicit gc()). */
  gcIntervalMs?: number;
  /** How long a remote-mode commit waits for its uploads before failing with IO (ms, default 30000). */
  remoteTimeoutMs?: number;
  syncer?: SyncerOptions;
  logger?: Logger;
}

interface DirtyChunk {
  /** Capacity grows up to chunkSize; bytes at and past `len` are always zero. */
  buf: Buffer;
  len: number;
}

interface Flushed {
  no: number;
  len: number;
  data: Buffer;
  /** undefined: the chunk is all zeros and becomes a hole. */
  hash: string | undefined;
}

const MIB = 1024 * 1024;

/**
 * Content-addressed block store (DESIGN.md "Block store"). A file's content
 * is a map from chunk number to the SHA-256 of a chunk of at most
 * `chunkSize` bytes; absent entries are holes and read as zeros. Chunks are
 * shared by every file (and every offset) holding the same bytes, reference
 * counted in the index, and collected when nothing refers to them. That is
 * the layout clone, server-side copy and snapshots build on: copying a file
 * copies its map.
 *
 * Writes land in per-chunk dirty buffers (read-modify-write of the chunk's
 * old content). A flush hashes each dirty chunk, stores new chunks in the
 * local tier (temp + fsync + rename), then switches the map and the
 * reference counts in one LMDB transaction, and queues the new chunks for
 * upload. `commit` honours the durability mode: 'writeback' resolves at
 * once (a timer flushes within `flushIntervalMs`), 'local-durable' after the
 * flush, 'remote' once every chunk of the file is in the object store.
 */
export class ChunkedBlockStore implements BlockStore {
  readonly kind: string;
  readonly chunkSize: number;
  readonly durability: DurabilityMode;
  private readonly log: Logger;
  private readonly local: LocalChunkTier;
  private readonly remote: RemoteChunkStore | undefined;
  private readonly budget: number;
  private readonly maxDirty: number;
  private readonly readAhead: number;
  private readonly remoteTimeoutMs: number;
  private readonly cache: ChunkCache;
  private readonly files = new KeyedMutex();
  private readonly lifecycle = new SharedExclusiveLock();
  /** Buffered writes per file, not yet taken by a flush. */
  private readonly dirty = new Map<string, Map<number, DirtyChunk>>();
  /**
   * Chunks a flush took from `dirty` and is hashing and storing without the
   * file's lock: read (and used as the base of partial writes) until the
   * flush publishes them in the index. Writers never change them.
   */
  private readonly inFlush = new Map<string, Map<number, DirtyChunk>>();
  /** The flush in progress per file (one at a time, in order). */
  private readonly flushes = new Map<string, Promise<void>>();
  private readonly loads = new Map<string, Promise<Buffer>>();
  /** Uploaded chunks still held locally, least recently used first: what eviction may drop. */
  private readonly evictable = new Map<string, number>();
  /** Where each file's last read ended (sequential-read detection). */
  private readonly readEnds = new Map<string, number>();
  private index!: ChunkIndex;
  private syncer: Syncer | undefined;
  private dirtyBytes = 0;
  /** Bytes of distinct chunks referenced by some file. */
  private used = 0;
  /** Bytes of chunks held by the local tier. */
  private localBytes = 0;
  private flushing: Promise<void> | undefined;
  private collecting: Promise<{ collected: number; remoteDeleted: number }> | undefined;
  private evicting: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private releaseOwner: (() => Promise<void>) | undefined;
  private readonly flushIntervalMs: number;
  private readonly gcIntervalMs: number;

  constructor(private readonly opts: ChunkedBlockStoreOptions) {
    this.chunkSize = opts.chunkSize ?? MIB;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 4096 || this.chunkSize > 16 * MIB) {
      throw new RangeError(`chunkSize must be an integer from 4096 to ${16 * MIB}`);
    }
    this.local = opts.local;
    this.remote = opts.remote;
    this.kind = `chunked:${opts.local.kind}${opts.remote ? `+${opts.remote.kind}` : ''}`;
    this.durability = opts.durability ?? 'local-durable';
    this.budget = opts.localBudgetBytes ?? Infinity;
    this.maxDirty = opts.maxDirtyBytes ?? 64 * MIB;
    this.readAhead = opts.readAheadChunks ?? 4;
    this.remoteTimeoutMs = opts.remoteTimeoutMs ?? 30_000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
    this.gcIntervalMs = opts.gcIntervalMs ?? 30_000;
    this.cache = new ChunkCache(opts.cacheBytes ?? 64 * MIB);
    this.log = opts.logger ?? silentLogger;
  }

  async open(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    // The index has one writer and the dirty buffers live in this process.
    this.releaseOwner = await acquireBlockOwner(this.opts.dir);
    this.index = new ChunkIndex(join(this.opts.dir, 'index'));
    await this.local.open();
    await this.reconcileLocalTier();
    if (this.remote !== undefined) {
      this.syncer = new Syncer(this.index, this.remote, (h) => this.localCopy(h), this.log, this.opts.syncer);
      this.syncer.on('uploaded', (hash: string) => {
        const rec = this.index.chunks.get(hash);
        if (rec?.local) this.evictable.set(hash, rec.len);
        if (this.localBytes > this.budget) void this.evictToBudget(0);
      });
      this.syncer.start();
    }
    if (this.flushIntervalMs > 0)
      this.timers.push(setInterval(() => void this.flushAll().catch(() => {}), this.flushIntervalMs));
    if (this.gcIntervalMs > 0) this.timers.push(setInterval(() => void this.gc().catch(() => {}), this.gcIntervalMs));
    for (const t of this.timers) t.unref();
  }

  /**
   * Make the index and the local tier agree after a crash or after the local
   * tier was emptied: chunk files nothing records are leftovers of a flush
   * that never committed its transaction; records of files that are gone
   * fall back to the remote copy.
   */
  private async reconcileLocalTier(): Promise<void> {
    const present = new Set(await this.local.list());
    const missing: string[] = [];
    this.used = 0;
    this.localBytes = 0;
    for (const { key, value } of this.index.chunks.getRange()) {
      if (value.refs > 0) this.used += value.len;
      if (value.local && !present.has(key)) missing.push(key);
      else if (value.local) {
        this.localBytes += value.len;
        if (value.remote) this.evictable.set(key, value.len);
      }
      present.delete(key);
    }
    if (missing.length > 0) {
      this.log.warn({ count: missing.length }, 'chunks missing from the local tier; reading them from the remote tier');
      await this.index.env.transaction(() => {
        for (const h of missing) {
          const rec = this.index.chunks.get(h);
          if (rec !== undefined) this.index.chunks.put(h, { ...rec, local: false });
        }
      });
    }
    if (present.size > 0) {
      // A file the chunk map still names (its record lost to a bug or an edit) is the only copy
      // of that data: keep it for `dfs fsck --repair`, which rebuilds the record from it.
      for (const { value } of this.index.map.getRange()) {
        if (present.delete(value)) this.log.warn({ hash: value }, 'chunk mapped by a file has no index record; kept');
        if (present.size === 0) break;
      }
    }
    for (const orphan of present) await this.local.delete(orphan);
  }

  async write(contentId: string, offset: number, data: Buffer): Promise<void> {
    validateContentId(contentId);
    checkRange(offset, data.length);
    if (data.length === 0) return;
    await this.admit(data.length);
    const cs = this.chunkSize;
    await this.files.run(contentId, async () => {
      let pos = 0;
      while (pos < data.length) {
        const abs = offset + pos;
        const no = Math.floor(abs / cs);
        const within = abs - no * cs;
        const n = Math.min(cs - within, data.length - pos);
        const dc = await this.dirtyChunk(contentId, no, within === 0 && n === cs);
        this.reserve(dc, within + n);
        data.copy(dc.buf, within, pos, pos + n);
        if (within + n > dc.len) {
          this.dirtyBytes += within + n - dc.len;
          dc.len = within + n;
        }
        pos += n;
      }
    });
  }

  /**
   * Room for `n` more bytes: wait for a flush when too much is buffered; with
   * a remote tier, evict uploaded chunks when the local budget is reached,
   * and when nothing can be evicted (the object store is behind or down) ask
   * the client to retry later (DELAY → NFS3ERR_JUKEBOX), or in remote mode
   * fail (IO) rather than take data it cannot make remote.
   */
  private async admit(n: number): Promise<void> {
    // Over the limit: wait for flushes (bounded: accounting can never make this spin).
    for (let i = 0; i < 4 && this.dirtyBytes > 0 && this.dirtyBytes + n > this.maxDirty; i++) await this.flushAll();
    // Past half of it: start one in the background, so that writers fill the other half while it runs.
    if (this.flushing === undefined && this.dirtyBytes + n > this.maxDirty / 2) void this.flushAll().catch(() => {});
    if (this.remote === undefined || this.budget === Infinity) return;
    const over = this.localBytes + this.dirtyBytes + n - this.budget;
    if (over <= 0) return;
    await this.evictToBudget(n);
    if (this.localBytes + this.dirtyBytes + n <= this.budget) return;
    if (this.durability === 'remote' && this.syncer?.healthy === false) {
      throw new FsError('IO', 'object store unavailable and local budget full');
    }
    throw new FsError('DELAY', 'local tier full until uploads catch up');
  }

  /** The dirty buffer of one chunk, created from the chunk's current content unless it is about to be overwritten whole. */
  private async dirtyChunk(contentId: string, no: number, whole: boolean): Promise<DirtyChunk> {
    let chunks = this.dirty.get(contentId);
    if (chunks === undefined) {
      chunks = new Map();
      this.dirty.set(contentId, chunks);
    }
    const existing = chunks.get(no);
    if (existing !== undefined) return existing;
    let dc: DirtyChunk;
    if (whole) dc = { buf: Buffer.allocUnsafe(this.chunkSize), len: 0 };
    else {
      const base = await this.currentChunk(contentId, no);
      // A flush that failed meanwhile may have put its chunk back: that one is current.
      const back = chunks.get(no);
      if (back !== undefined) return back;
      const cap = Math.min(this.chunkSize, Math.max(64 * 1024, base?.length ?? 0));
      dc = { buf: Buffer.alloc(cap), len: 0 };
      if (base !== undefined) {
        base.copy(dc.buf);
        dc.len = base.length;
        this.dirtyBytes += base.length;
      }
    }
    chunks.set(no, dc);
    return dc;
  }

  /** A chunk's content as last flushed or being flushed (undefined: a hole). */
  private async currentChunk(contentId: string, no: number): Promise<Buffer | undefined> {
    const flushing = this.inFlush.get(contentId)?.get(no);
    if (flushing !== undefined) return flushing.buf.subarray(0, flushing.len);
    const hash = this.index.map.get([contentId, no]);
    return hash === undefined ? undefined : await this.loadChunk(hash);
  }

  private reserve(dc: DirtyChunk, need: number): void {
    if (dc.buf.length >= need) return;
    const nb = Buffer.alloc(Math.min(this.chunkSize, Math.max(need, dc.buf.length * 2)));
    dc.buf.copy(nb, 0, 0, dc.len);
    dc.buf = nb;
  }

  async read(contentId: string, offset: number, length: number): Promise<Buffer> {
    validateContentId(contentId);
    checkRange(offset, length);
    const out = Buffer.alloc(length);
    if (length === 0) return out;
    const cs = this.chunkSize;
    const first = Math.floor(offset / cs);
    const last = Math.floor((offset + length - 1) / cs);
    const dirty = this.dirty.get(contentId);
    const flushing = this.inFlush.get(contentId);
    const pieces: Promise<void>[] = [];
    for (let no = first; no <= last; no++) {
      const start = Math.max(offset, no * cs);
      const end = Math.min(offset + length, (no + 1) * cs);
      const within = start - no * cs;
      const dst = start - offset;
      const dc = dirty?.get(no) ?? flushing?.get(no);
      if (dc !== undefined) {
        if (within < dc.len) dc.buf.copy(out, dst, within, Math.min(dc.len, within + end - start));
        continue;
      }
      const hash = this.index.map.get([contentId, no]);
      if (hash === undefined) continue;
      pieces.push(this.copyChunk(contentId, no, hash, out, dst, within, end - start));
    }
    await Promise.all(pieces);
    this.readAheadAfter(contentId, offset, offset + length, last);
    return out;
  }

  /**
   * Copy part of chunk `no` into `out`. A concurrent overwrite followed by a
   * collection can remove the chunk this read looked up; then the chunk's
   * current content (dirty buffer or new hash) is read instead, once.
   */
  private async copyChunk(
    contentId: string,
    no: number,
    hash: string,
    out: Buffer,
    dst: number,
    within: number,
    n: number,
  ): Promise<void> {
    let data: Buffer;
    try {
      data = await this.loadChunk(hash);
    } catch (e) {
      const dc = this.dirty.get(contentId)?.get(no) ?? this.inFlush.get(contentId)?.get(no);
      const now = this.index.map.get([contentId, no]);
      if (dc !== undefined) data = dc.buf.subarray(0, dc.len);
      else if (now !== hash) data = now === undefined ? Buffer.alloc(0) : await this.loadChunk(now);
      else throw e;
    }
    if (within < data.length) data.copy(out, dst, within, Math.min(data.length, within + n));
  }

  /** Sequential reader (this read starts where the last one ended): fetch the next chunks into the cache. */
  private readAheadAfter(contentId: string, offset: number, end: number, lastChunk: number): void {
    const prevEnd = this.readEnds.get(contentId);
    if (this.readEnds.size > 4096) this.readEnds.clear();
    this.readEnds.set(contentId, end);
    if (prevEnd !== offset || this.readAhead <= 0) return;
    for (const { hash } of this.index.fileChunks(contentId, lastChunk + 1).slice(0, this.readAhead)) {
      if (this.cache.get(hash) === undefined) void this.loadChunk(hash).catch(() => {});
    }
  }

  /** A chunk's bytes: cache, then local tier, then the remote one (verified, and kept locally). One fetch per chunk at a time. */
  private loadChunk(hash: string): Promise<Buffer> {
    const cached = this.cache.get(hash);
    if (cached !== undefined) {
      if (this.evictable.has(hash)) {
        this.evictable.delete(hash);
        this.evictable.set(hash, cached.length);
      }
      return Promise.resolve(cached);
    }
    let p = this.loads.get(hash);
    if (p === undefined) {
      p = this.fetchChunk(hash).finally(() => this.loads.delete(hash));
      this.loads.set(hash, p);
    }
    return p;
  }

  private async fetchChunk(hash: string): Promise<Buffer> {
    const rec = this.index.chunks.get(hash);
    let data = rec?.local === false ? undefined : await this.local.get(hash);
    if (data === undefined && this.remote !== undefined) {
      try {
        data = await this.remote.get(hash);
      } catch (e) {
        throw new FsError('IO', `object store read failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (data !== undefined) {
        if (sha256(data) !== hash) throw new FsError('IO', `chunk ${hash} from the object store is corrupt`);
        await this.warmLocal(hash, data);
      }
    }
    if (data === undefined) throw new FsError('IO', `chunk ${hash} is missing`);
    this.cache.set(hash, data);
    return data;
  }

  /** Keep a copy of a chunk fetched from the remote tier (it is safe remotely, so no fsync and evictable). */
  private async warmLocal(hash: string, data: Buffer): Promise<void> {
    if (this.localBytes + data.length > this.budget) return;
    await this.lifecycle.withShared(async () => {
      const rec = this.index.chunks.get(hash);
      if (rec === undefined || rec.local) return;
      await this.local.put(hash, data, false);
      let added = false;
      await this.index.env.transaction(() => {
        const now = this.index.chunks.get(hash);
        if (now !== undefined && !now.local) {
          this.index.chunks.put(hash, { ...now, local: true });
          added = true;
        }
      });
      if (added) {
        this.localBytes += data.length;
        this.evictable.set(hash, data.length);
      }
    });
  }

  /** Source of the syncer's uploads. */
  private async localCopy(hash: string): Promise<Buffer | undefined> {
    return this.cache.get(hash) ?? (await this.local.get(hash));
  }

  async truncate(contentId: string, size: number): Promise<void> {
    validateContentId(contentId);
    checkRange(size, 0);
    const cs = this.chunkSize;
    const keep = Math.ceil(size / cs);
    await this.files.run(contentId, async () => {
      await this.settleFlush(contentId);
      const chunks = this.dirty.get(contentId);
      if (chunks !== undefined) {
        for (const [no, dc] of chunks) {
          if (no >= keep) {
            this.dirtyBytes -= dc.len;
            chunks.delete(no);
          }
        }
      }
      const within = size % cs;
      if (within !== 0) {
        const no = keep - 1;
        const mapped = this.index.map.get([contentId, no]) !== undefined;
        if (mapped || chunks?.has(no) === true) {
          const dc = await this.dirtyChunk(contentId, no, false);
          if (dc.len > within) {
            dc.buf.fill(0, within, dc.len);
            this.dirtyBytes -= dc.len - within;
            dc.len = within;
          }
        }
      }
      await this.dropChunksFrom(contentId, keep);
    });
  }

  async punchHole(contentId: string, offset: number, length: number): Promise<void> {
    validateContentId(contentId);
    checkRange(offset, length);
    if (length === 0) return;
    const cs = this.chunkSize;
    const end = offset + length;
    const firstWhole = Math.ceil(offset / cs);
    const endWhole = Math.floor(end / cs);
    await this.files.run(contentId, async () => {
      await this.settleFlush(contentId);
      // Partial chunks at either end: zero the range in place (a chunk that
      // becomes all zeros is stored as a hole at the next flush).
      for (let no = Math.floor(offset / cs); no * cs < end; no++) {
        if (no >= firstWhole && no < endWhole) continue;
        const from = Math.max(offset, no * cs) - no * cs;
        const to = Math.min(end, (no + 1) * cs) - no * cs;
        if (this.index.map.get([contentId, no]) === undefined && this.dirty.get(contentId)?.has(no) !== true) continue;
        const dc = await this.dirtyChunk(contentId, no, false);
        if (from < dc.len) dc.buf.fill(0, from, Math.min(to, dc.len));
      }
      const chunks = this.dirty.get(contentId);
      for (let no = firstWhole; no < endWhole && chunks !== undefined; no++) {
        const dc = chunks.get(no);
        if (dc === undefined) continue;
        this.dirtyBytes -= dc.len;
        chunks.delete(no);
      }
      if (endWhole > firstWhole) await this.dropChunks(contentId, firstWhole, endWhole);
    });
  }

  /** Remove the map entries at and past chunk `from` (one transaction). */
  private dropChunksFrom(contentId: string, from: number): Promise<void> {
    return this.dropChunks(contentId, from, Number.MAX_SAFE_INTEGER);
  }

  /** Remove the map entries of chunks [from, to) (one transaction). */
  private async dropChunks(contentId: string, from: number, to: number): Promise<void> {
    await this.lifecycle.withShared(async () => {
      let freed = 0;
      await this.index.env.transaction(() => {
        for (const { no, hash } of this.index.fileChunks(contentId, from)) {
          if (no >= to) break;
          this.index.map.remove([contentId, no]);
          freed += this.index.unref(hash);
        }
      });
      this.used -= freed;
    });
  }

  async delete(contentId: string): Promise<void> {
    validateContentId(contentId);
    await this.files.run(contentId, async () => {
      await this.settleFlush(contentId);
      const chunks = this.dirty.get(contentId);
      if (chunks !== undefined) {
        for (const dc of chunks.values()) this.dirtyBytes -= dc.len;
        this.dirty.delete(contentId);
      }
      this.readEnds.delete(contentId);
      await this.dropChunksFrom(contentId, 0);
    });
  }

  async commit(contentId: string): Promise<void> {
    validateContentId(contentId);
    if (this.durability === 'writeback') return;
    await this.flushFile(contentId);
    if (this.durability !== 'remote' || this.syncer === undefined) return;
    const waiting = this.index
      .fileChunks(contentId)
      .map((c) => c.hash)
      .filter((h) => this.index.chunks.get(h)?.remote !== true);
    await this.waitUploaded(new Set(waiting));
  }

  /** Resolve when every chunk in `hashes` is recorded as remote; IO after remoteTimeoutMs. */
  private waitUploaded(hashes: Set<string>): Promise<void> {
    const syncer = this.syncer!;
    if (hashes.size === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onUploaded = (h: string): void => {
        hashes.delete(h);
        if (hashes.size === 0) done();
      };
      const timer = setTimeout(() => {
        done(
          new FsError(
            'IO',
            `object store did not take ${hashes.size} chunk(s) within ${this.remoteTimeoutMs} ms` +
              (syncer.healthy
                ? ''
                : ` (last error: ${String((syncer.lastError as Error | undefined)?.message ?? syncer.lastError)})`),
          ),
        );
      }, this.remoteTimeoutMs);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        syncer.off('uploaded', onUploaded);
        if (err) reject(err);
        else resolve();
      };
      syncer.on('uploaded', onUploaded);
      // Uploaded between the caller's check and the listener: re-check now.
      for (const h of [...hashes]) if (this.index.chunks.get(h)?.remote === true) hashes.delete(h);
      if (hashes.size === 0) done();
    });
  }

  /** Flush every file's buffered writes (single flight). */
  flushAll(): Promise<void> {
    if (this.flushing === undefined) {
      this.flushing = (async () => {
        try {
          for (const id of new Set([...this.dirty.keys(), ...this.flushes.keys()])) await this.flushFile(id);
        } finally {
          this.flushing = undefined;
        }
      })();
    }
    return this.flushing;
  }

  /** Caller holds the file's mutex: wait until no flush of the file is in progress (its outcome is its caller's). */
  private async settleFlush(contentId: string): Promise<void> {
    for (let f = this.flushes.get(contentId); f !== undefined; f = this.flushes.get(contentId)) {
      await f.catch(() => undefined);
    }
  }

  /**
   * Flush what is buffered for one file now. The file's lock is held only to
   * take the dirty chunks (they move to `inFlush`); hashing, storing the new
   * chunks and the index transaction run without it, so writers carry on
   * into fresh dirty buffers meanwhile. Whatever changes the file's chunk map
   * directly (truncate, punchHole, delete, clone onto it) first waits for the
   * flush in progress, and flushes of one file run one at a time, so the
   * flush publishes onto the map it started from.
   */
  private async flushFile(contentId: string): Promise<void> {
    const started = await this.files.run(contentId, async () => {
      await this.settleFlush(contentId);
      const chunks = this.dirty.get(contentId);
      if (chunks === undefined || chunks.size === 0) return undefined;
      this.dirty.delete(contentId);
      this.inFlush.set(contentId, chunks);
      // Registered before the lock is released, so the next holder sees it.
      const p = this.publish(contentId, chunks);
      this.flushes.set(contentId, p);
      return { p };
    });
    if (started === undefined) return;
    try {
      await started.p;
    } finally {
      if (this.flushes.get(contentId) === started.p) this.flushes.delete(contentId);
    }
  }

  /** Store the chunks of one flush and switch the file's map to them; on failure, hand them back to `dirty`. */
  private async publish(contentId: string, batch: Map<number, DirtyChunk>): Promise<void> {
    try {
      const entries: Flushed[] = [];
      for (const [no, dc] of batch)
        entries.push({ no, len: dc.len, data: dc.buf.subarray(0, dc.len), hash: undefined });
      const hashes = await hashBatch(entries.map((e) => e.data));
      for (let i = 0; i < entries.length; i++) entries[i].hash = hashes[i];
      await this.storeAndSwitch(contentId, entries);
      for (const e of entries) this.dirtyBytes -= e.len;
    } catch (err) {
      // Chunks written again meanwhile were based on these (see currentChunk): the newer ones stay.
      const cur = this.dirty.get(contentId) ?? new Map<number, DirtyChunk>();
      for (const [no, dc] of batch) {
        if (cur.has(no)) this.dirtyBytes -= dc.len;
        else cur.set(no, dc);
      }
      if (cur.size > 0) this.dirty.set(contentId, cur);
      throw err;
    } finally {
      if (this.inFlush.get(contentId) === batch) this.inFlush.delete(contentId);
    }
  }

  private async storeAndSwitch(contentId: string, entries: Flushed[]): Promise<void> {
    await this.lifecycle.withShared(async () => {
      const written = new Set<string>();
      const stores: Promise<void>[] = [];
      for (const e of entries) {
        if (e.hash === undefined || written.has(e.hash)) continue;
        const rec = this.index.chunks.get(e.hash);
        if (rec !== undefined && (rec.local || rec.remote)) continue;
        written.add(e.hash);
        stores.push(this.local.put(e.hash, e.data, true));
      }
      await Promise.all(stores);
      let usedDelta = 0;
      let localDelta = 0;
      const fresh: string[] = [];
      await this.index.env.transaction(() => {
        for (const e of entries) {
          const old = this.index.map.get([contentId, e.no]);
          if (old === e.hash) continue;
          if (e.hash !== undefined) {
            const before = this.index.chunks.get(e.hash);
            const wrote = written.has(e.hash) && before?.local !== true;
            if (before === undefined && this.remote !== undefined) fresh.push(e.hash);
            usedDelta += this.index.ref(e.hash, e.len, wrote, this.remote !== undefined);
            if (wrote) {
              localDelta += e.len;
              written.delete(e.hash);
            }
            this.index.map.put([contentId, e.no], e.hash);
          } else this.index.map.remove([contentId, e.no]);
          if (old !== undefined) usedDelta -= this.index.unref(old);
        }
      });
      // lmdb-js resolves a transaction once committed; with its default
      // overlappingSync the fsync of the commit comes later.
      if (this.durability !== 'writeback') await this.index.env.flushed;
      this.used += usedDelta;
      this.localBytes += localDelta;
      for (const e of entries) if (e.hash !== undefined) this.cache.set(e.hash, e.data);
      if (fresh.length > 0) this.syncer?.enqueue(fresh);
    });
  }

  /** Drop local copies of uploaded chunks, least recently used first, until `extra` more bytes fit the budget. */
  private evictToBudget(extra: number): Promise<void> {
    if (this.evicting === undefined) {
      this.evicting = this.lifecycle
        .withShared(async () => {
          const victims: [string, number][] = [];
          let excess = this.localBytes + this.dirtyBytes + extra - this.budget;
          for (const [h, len] of this.evictable) {
            if (excess <= 0) break;
            victims.push([h, len]);
            excess -= len;
          }
          if (victims.length === 0) return;
          const dropped: [string, number][] = [];
          await this.index.env.transaction(() => {
            for (const [h, len] of victims) {
              const rec = this.index.chunks.get(h);
              if (rec?.local && rec.remote) {
                this.index.chunks.put(h, { ...rec, local: false });
                dropped.push([h, len]);
              }
            }
          });
          // The index must say "not local" on disk before the only local copy goes.
          await this.index.env.flushed;
          for (const [h, len] of dropped) {
            this.evictable.delete(h);
            this.localBytes -= len;
            await this.local.delete(h);
          }
        })
        .finally(() => (this.evicting = undefined));
    }
    return this.evicting;
  }

  /**
   * Garbage collection: chunks with no references lose their index record
   * and local copy under the exclusive lifecycle lock (no flush can revive
   * one meanwhile), and their remote objects are deleted afterwards (a
   * durable `doomed` list, retried by the next run while the store is down;
   * the syncer holds back a re-upload of the same chunk until its delete is done).
   */
  gc(): Promise<{ collected: number; remoteDeleted: number }> {
    if (this.collecting === undefined) {
      this.collecting = this.collect().finally(() => (this.collecting = undefined));
    }
    return this.collecting;
  }

  private async collect(): Promise<{ collected: number; remoteDeleted: number }> {
    let collected = 0;
    await this.lifecycle.withExclusive(async () => {
      const victims: { hash: string; local: boolean; len: number }[] = [];
      await this.index.env.transaction(() => {
        for (const hash of this.index.garbage.getKeys()) {
          const rec = this.index.chunks.get(hash);
          if (rec !== undefined && rec.refs > 0) {
            this.index.garbage.remove(hash);
            continue;
          }
          if (this.syncer?.inflight.has(hash) === true || this.loads.has(hash)) continue;
          this.index.garbage.remove(hash);
          this.index.pending.remove(hash);
          if (rec === undefined) continue;
          this.index.chunks.remove(hash);
          if (rec.remote) this.index.doomed.put(hash, 1);
          victims.push({ hash, local: rec.local, len: rec.len });
        }
      });
      // A crash must not bring back a record (and so a dedup target) whose data is deleted.
      await this.index.env.flushed;
      for (const v of victims) {
        this.cache.delete(v.hash);
        this.evictable.delete(v.hash);
        if (v.local) {
          await this.local.delete(v.hash);
          this.localBytes -= v.len;
        }
      }
      collected = victims.length;
    });
    let remoteDeleted = 0;
    if (this.remote !== undefined) {
      for (const hash of [...this.index.doomed.getKeys()]) {
        try {
          await this.remote.delete(hash);
        } catch (e) {
          this.log.warn(
            { hash, err: e instanceof Error ? e.message : String(e) },
            'remote chunk delete failed; will retry',
          );
          break;
        }
        await this.index.doomed.remove(hash);
        remoteDeleted++;
      }
    }
    return { collected, remoteDeleted };
  }

  /** Copy-on-write clone (NFSv4.2 CLONE): `dst` gets `src`'s chunk map, sharing every chunk. */
  async clone(src: string, dst: string): Promise<void> {
    validateContentId(src);
    validateContentId(dst);
    if (src === dst) return;
    await this.flushFile(src);
    await this.files.run(dst, async () => {
      await this.settleFlush(dst);
      const chunks = this.dirty.get(dst);
      if (chunks !== undefined) {
        for (const dc of chunks.values()) this.dirtyBytes -= dc.len;
        this.dirty.delete(dst);
      }
      await this.lifecycle.withShared(async () => {
        let delta = 0;
        await this.index.env.transaction(() => {
          for (const { no, hash } of this.index.fileChunks(dst)) {
            this.index.map.remove([dst, no]);
            delta -= this.index.unref(hash);
          }
          for (const { no, hash } of this.index.fileChunks(src)) {
            const rec = this.index.chunks.get(hash)!;
            delta += this.index.ref(hash, rec.len, false, false);
            this.index.map.put([dst, no], hash);
          }
        });
        this.used += delta;
      });
    });
  }

  /** Content ids with a chunk in the index or buffered writes (for the consistency checker). */
  async *listContent(): AsyncIterable<string> {
    const seen = new Set<string>();
    for (const [id, chunks] of [...this.dirty, ...this.inFlush]) {
      if (chunks.size === 0 || seen.has(id)) continue;
      seen.add(id);
      yield id;
    }
    let last: string | undefined;
    // Keys are ordered by content id, so each id's entries are consecutive.
    for (const key of this.index.map.getKeys()) {
      const id = key[0];
      if (id === last) continue;
      last = id;
      if (!seen.has(id)) yield id;
    }
  }

  /**
   * Recount every chunk's references from the chunk map and compare with the
   * index (what a bug or an edit of the index could leave; a crash cannot,
   * see ChunkIndex). Too few references is an error: the collector could
   * delete a chunk a file still maps. Too many, or a chunk without
   * references missing from the garbage set, only keeps space. A map entry
   * naming a chunk the index has no record of cannot be repaired (the bytes
   * are unknown) unless the local tier still holds the chunk. With `repair`,
   * the counts, the garbage set and the usage totals are set from the map in
   * one transaction.
   */
  async checkIntegrity(opts: { repair: boolean }): Promise<BlockStoreIssue[]> {
    await this.flushAll();
    return this.lifecycle.withExclusive(async () => {
      const counted = new Map<string, number>();
      for (const { value } of this.index.map.getRange()) counted.set(value, (counted.get(value) ?? 0) + 1);
      const issues: BlockStoreIssue[] = [];
      const fixes: (() => void)[] = [];
      for (const { key: hash, value: rec } of this.index.chunks.getRange()) {
        const refs = counted.get(hash) ?? 0;
        counted.delete(hash);
        if (rec.refs !== refs) {
          const low = rec.refs < refs;
          issues.push({
            kind: low ? 'chunk-refcount-low' : 'chunk-refcount-high',
            severity: low ? 'error' : 'warning',
            subject: hash,
            message: `chunk ${hash} records ${rec.refs} reference(s), the chunk map holds ${refs}`,
          });
          fixes.push(() => {
            this.index.chunks.put(hash, { ...rec, refs });
            if (refs === 0) this.index.garbage.put(hash, 1);
            else this.index.garbage.remove(hash);
          });
        } else if (refs === 0 && this.index.garbage.get(hash) === undefined) {
          issues.push({
            kind: 'garbage-unlisted',
            severity: 'warning',
            subject: hash,
            message: `chunk ${hash} has no reference but is not in the garbage set (never collected)`,
          });
          fixes.push(() => this.index.garbage.put(hash, 1));
        }
      }
      // What is left was counted in the map but has no record.
      for (const [hash, refs] of counted) {
        const data = await this.local.get(hash).catch(() => undefined);
        const recoverable = data !== undefined && sha256(data) === hash;
        issues.push({
          kind: 'chunk-record-missing',
          severity: 'error',
          subject: hash,
          message: `the chunk map names chunk ${hash} ${refs} time(s), but the index has no record of it${recoverable ? ' (the local tier still holds it)' : ''}`,
        });
        if (recoverable) {
          fixes.push(() => {
            this.index.chunks.put(hash, { refs, len: data.length, local: true, remote: false });
            if (this.remote !== undefined) this.index.pending.put(hash, 1);
          });
        }
      }
      if (!opts.repair || fixes.length === 0) return issues;
      await this.index.env.transaction(() => {
        for (const fix of fixes) fix();
      });
      await this.index.env.flushed;
      for (const i of issues) {
        if (i.kind !== 'chunk-record-missing') i.repair = 'set from the chunk map';
        else if (this.index.chunks.get(i.subject) !== undefined) i.repair = 'record rebuilt from the local copy';
      }
      this.recountUsage();
      return issues;
    });
  }

  /** Usage totals from the index (after a repair changed reference counts). */
  private recountUsage(): void {
    this.used = 0;
    this.localBytes = 0;
    for (const { value } of this.index.chunks.getRange()) {
      if (value.refs > 0) this.used += value.len;
      if (value.local) this.localBytes += value.len;
    }
  }

  async usedBytes(): Promise<number> {
    return this.used + this.dirtyBytes;
  }

  /** Observability and tests: what the store holds and owes. */
  stats(): {
    usedBytes: number;
    localBytes: number;
    dirtyBytes: number;
    pendingUploads: number;
    remoteHealthy: boolean;
  } {
    return {
      usedBytes: this.used,
      localBytes: this.localBytes,
      dirtyBytes: this.dirtyBytes,
      pendingUploads: this.syncer?.backlog() ?? 0,
      remoteHealthy: this.syncer?.healthy ?? true,
    };
  }

  /** Resolve when no upload is waiting or in flight. */
  async drainUploads(timeoutMs = 30_000): Promise<void> {
    const syncer = this.syncer;
    if (syncer === undefined) return;
    const deadline = Date.now() + timeoutMs;
    while (syncer.backlog() > 0) {
      if (Date.now() > deadline) throw new FsError('IO', `uploads not drained within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Chunk hashes the index holds with at least one reference (tests). */
  referencedChunks(): Set<string> {
    const out = new Set<string>();
    for (const { key, value } of this.index.chunks.getRange()) if (value.refs > 0) out.add(key);
    return out;
  }

  async close(): Promise<void> {
    if (this.releaseOwner === undefined) return;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.flushAll();
    await this.collecting?.catch(() => {});
    await this.evicting?.catch(() => {});
    await this.syncer?.close();
    await Promise.allSettled([...this.loads.values()]);
    await this.index.close();
    await this.local.close();
    await this.remote?.close();
    await this.releaseOwner();
    this.releaseOwner = undefined;
  }
}
