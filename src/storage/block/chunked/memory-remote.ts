import type { RemoteChunkStore } from './tiers.js';
import { checkHash } from './tiers.js';
import { FsError } from '../../../core/errors.js';

/**
 * Remote tier in memory, for tests. `down = true` makes every call fail as an
 * unreachable object store would, so durability modes can be tested; `puts`
 * counts uploads (dedup tests). Several stores may share one instance (a
 * restart keeps the "bucket").
 */
export class MemoryRemote implements RemoteChunkStore {
  readonly kind = 'memory';
  readonly objects = new Map<string, Buffer>();
  down = false;
  puts = 0;
  /** Optional artificial latency per call (ms), to keep uploads in flight in tests. */
  latencyMs = 0;

  private async gate(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.down) throw new FsError('IO', 'memory remote is down');
  }

  async put(hash: string, data: Buffer): Promise<void> {
    checkHash(hash);
    await this.gate();
    this.puts++;
    this.objects.set(hash, Buffer.from(data));
  }

  async get(hash: string): Promise<Buffer | undefined> {
    await this.gate();
    return this.objects.get(hash);
  }

  async delete(hash: string): Promise<void> {
    await this.gate();
    this.objects.delete(hash);
  }

  async list(): Promise<string[]> {
    await this.gate();
    return [...this.objects.keys()];
  }

  async close(): Promise<void> {}
}
