import type { LocalChunkTier } from './tiers.js';
import { checkHash } from './tiers.js';

/** Local tier in process memory (tests, ephemeral shares): "durable" means held by this process. */
export class MemoryLocalTier implements LocalChunkTier {
  readonly kind = 'memory';
  private readonly chunks = new Map<string, Buffer>();

  async open(): Promise<void> {}

  async put(hash: string, data: Buffer): Promise<void> {
    checkHash(hash);
    // Copy: the caller's buffer may be a view into a larger, reused one.
    this.chunks.set(hash, Buffer.from(data));
  }

  async get(hash: string): Promise<Buffer | undefined> {
    return this.chunks.get(hash);
  }

  async delete(hash: string): Promise<void> {
    this.chunks.delete(hash);
  }

  async list(): Promise<string[]> {
    return [...this.chunks.keys()];
  }

  async close(): Promise<void> {}
}
