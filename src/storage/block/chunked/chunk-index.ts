import { open, type Database, type RootDatabase } from 'lmdb';

/**
 * What the index knows about one chunk. `refs` counts chunk-map entries that
 * name it; `local`/`remote` say which tiers hold a copy.
 */
export interface ChunkRecord {
  refs: number;
  /** Length in bytes (content-determined, so it never changes). */
  len: number;
  local: boolean;
  remote: boolean;
}

/**
 * The chunked block store's durable index, an LMDB environment in the store's
 * own directory (independent of the metadata store):
 * - `map`:     [contentId, chunkNo] → chunk hash (absent = hole)
 * - `chunks`:  hash → ChunkRecord
 * - `pending`: hash → 1, chunks still to upload (survives restarts: the syncer resumes them)
 * - `garbage`: hash → 1, chunks whose refs reached zero (the collector's work list)
 * - `doomed`:  hash → 1, collected chunks whose remote object still has to be deleted
 * Every change that moves references is one LMDB transaction, so a crash
 * leaves either the old or the new chunk map with matching reference counts.
 */
export class ChunkIndex {
  readonly env: RootDatabase;
  readonly map: Database<string, [string, number]>;
  readonly chunks: Database<ChunkRecord, string>;
  readonly pending: Database<number, string>;
  readonly garbage: Database<number, string>;
  readonly doomed: Database<number, string>;

  constructor(path: string) {
    this.env = open({ path, maxDbs: 8, compression: false });
    this.map = this.env.openDB<string, [string, number]>('map', {});
    this.chunks = this.env.openDB<ChunkRecord, string>('chunks', {});
    this.pending = this.env.openDB<number, string>('pending', {});
    this.garbage = this.env.openDB<number, string>('garbage', {});
    this.doomed = this.env.openDB<number, string>('doomed', {});
  }

  /** Chunk numbers and hashes of one file, in order. */
  fileChunks(contentId: string, fromChunk = 0): { no: number; hash: string }[] {
    const out: { no: number; hash: string }[] = [];
    for (const { key, value } of this.map.getRange({
      start: [contentId, fromChunk],
      end: [contentId, Number.MAX_SAFE_INTEGER],
    })) {
      out.push({ no: key[1], hash: value });
    }
    return out;
  }

  /** Inside a write transaction: one more reference to `hash`. Returns bytes newly in use. */
  ref(hash: string, len: number, local: boolean, wantUpload: boolean): number {
    const rec = this.chunks.get(hash);
    if (rec === undefined) {
      this.chunks.put(hash, { refs: 1, len, local, remote: false });
      if (wantUpload) this.pending.put(hash, 1);
      return len;
    }
    const next = { ...rec, refs: rec.refs + 1, local: rec.local || local };
    this.chunks.put(hash, next);
    if (rec.refs === 0) {
      this.garbage.remove(hash);
      return rec.len;
    }
    return 0;
  }

  /** Inside a write transaction: one reference fewer. Returns bytes no longer in use. */
  unref(hash: string): number {
    const rec = this.chunks.get(hash);
    if (rec === undefined || rec.refs === 0) return 0;
    this.chunks.put(hash, { ...rec, refs: rec.refs - 1 });
    if (rec.refs === 1) {
      this.garbage.put(hash, 1);
      return rec.len;
    }
    return 0;
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
