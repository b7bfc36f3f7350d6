import type { BlockStore } from '../store.js';
import { checkRange } from '../range.js';

/** Chunk size: big enough that streaming writes touch few chunks, small enough that holes stay cheap. */
export const MEMORY_CHUNK_SIZE = 64 * 1024;

interface Content {
  size: number;
  /** Chunk index → chunk (always MEMORY_CHUNK_SIZE bytes). Missing chunks are holes. */
  chunks: Map<number, Buffer>;
}

/**
 * Sparse in-memory block store (tests, ephemeral shares): content is cut into
 * fixed-size chunks kept in a Map, so a hole costs no memory and a write
 * allocates only the chunks it touches. commit is a no-op: memory is as
 * durable as it gets.
 */
export class MemoryBlockStore implements BlockStore {
  readonly kind = 'memory';
  private readonly contents = new Map<string, Content>();
  private chunkCount = 0;

  async open(): Promise<void> {}

  async write(contentId: string, offset: number, data: Buffer): Promise<void> {
    checkRange(offset, data.length);
    let c = this.contents.get(contentId);
    if (c === undefined) {
      c = { size: 0, chunks: new Map() };
      this.contents.set(contentId, c);
    }
    let done = 0;
    while (done < data.length) {
      const pos = offset + done;
      const index = Math.floor(pos / MEMORY_CHUNK_SIZE);
      const within = pos - index * MEMORY_CHUNK_SIZE;
      const n = Math.min(MEMORY_CHUNK_SIZE - within, data.length - done);
      let chunk = c.chunks.get(index);
      if (chunk === undefined) {
        chunk = Buffer.alloc(MEMORY_CHUNK_SIZE);
        c.chunks.set(index, chunk);
        this.chunkCount++;
      }
      data.copy(chunk, within, done, done + n);
      done += n;
    }
    if (offset + data.length > c.size) c.size = offset + data.length;
  }

  async read(contentId: string, offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length);
    const c = this.contents.get(contentId);
    if (c === undefined) return Buffer.alloc(length);
    // Uninitialised, then every byte is either copied or zeroed below: one pass, no double fill.
    const out = Buffer.allocUnsafe(length);
    const end = Math.min(offset + length, c.size);
    let pos = offset;
    while (pos < end) {
      const index = Math.floor(pos / MEMORY_CHUNK_SIZE);
      const within = pos - index * MEMORY_CHUNK_SIZE;
      const n = Math.min(MEMORY_CHUNK_SIZE - within, end - pos);
      const chunk = c.chunks.get(index);
      if (chunk !== undefined) chunk.copy(out, pos - offset, within, within + n);
      else out.fill(0, pos - offset, pos - offset + n);
      pos += n;
    }
    if (pos - offset < length) out.fill(0, Math.max(0, pos - offset));
    return out;
  }

  async truncate(contentId: string, size: number): Promise<void> {
    checkRange(size, 0);
    const c = this.contents.get(contentId);
    if (c === undefined) {
      if (size > 0) this.contents.set(contentId, { size, chunks: new Map() });
      return;
    }
    if (size < c.size) {
      const keep = Math.ceil(size / MEMORY_CHUNK_SIZE);
      for (const index of c.chunks.keys()) {
        if (index >= keep) {
          c.chunks.delete(index);
          this.chunkCount--;
        }
      }
      // Zero the cut-off tail of the last chunk so that growing again reads zeros.
      const last = Math.floor(size / MEMORY_CHUNK_SIZE);
      c.chunks.get(last)?.fill(0, size - last * MEMORY_CHUNK_SIZE);
    }
    c.size = size;
  }

  async delete(contentId: string): Promise<void> {
    const c = this.contents.get(contentId);
    if (c === undefined) return;
    this.chunkCount -= c.chunks.size;
    this.contents.delete(contentId);
  }

  async commit(_contentId: string): Promise<void> {}

  async *listContent(): AsyncIterable<string> {
    // A snapshot of the keys: deletes during the iteration do not disturb it.
    yield* [...this.contents.keys()];
  }

  async usedBytes(): Promise<number> {
    return this.chunkCount * MEMORY_CHUNK_SIZE;
  }

  async close(): Promise<void> {}
}
