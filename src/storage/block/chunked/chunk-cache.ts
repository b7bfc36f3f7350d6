/**
 * In-memory LRU of chunk contents, bounded in bytes. Cached buffers are
 * immutable (chunks are named by their content), so they are shared with
 * readers without copying.
 */
export class ChunkCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(hash: string): Buffer | undefined {
    const b = this.entries.get(hash);
    if (b !== undefined) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.entries.delete(hash);
      this.entries.set(hash, b);
    }
    return b;
  }

  set(hash: string, data: Buffer): void {
    if (data.length > this.maxBytes) return;
    const old = this.entries.get(hash);
    if (old !== undefined) {
      this.entries.delete(hash);
      this.bytes -= old.length;
    }
    this.entries.set(hash, data);
    this.bytes += data.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  delete(hash: string): void {
    const old = this.entries.get(hash);
    if (old !== undefined) {
      this.entries.delete(hash);
      this.bytes -= old.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
