/** A FIFO mutex per key: operations on one file run one at a time. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * Shared/exclusive lock. Flushes and evictions share it; the garbage
 * collector takes it exclusively so that no chunk is re-referenced (and its
 * file rewritten) while the collector deletes it.
 */
export class SharedExclusiveLock {
  private shared = 0;
  private exclusive = false;
  private waiters: { excl: boolean; go: () => void }[] = [];

  async withShared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusive || this.waiters.some((w) => w.excl)) {
      await new Promise<void>((go) => this.waiters.push({ excl: false, go }));
    } else this.shared++;
    try {
      return await fn();
    } finally {
      this.shared--;
      this.wake();
    }
  }

  async withExclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusive || this.shared > 0 || this.waiters.length > 0) {
      await new Promise<void>((go) => this.waiters.push({ excl: true, go }));
    } else this.exclusive = true;
    try {
      return await fn();
    } finally {
      this.exclusive = false;
      this.wake();
    }
  }

  private wake(): void {
    if (this.exclusive) return;
    while (this.waiters.length > 0) {
      const w = this.waiters[0];
      if (w.excl) {
        if (this.shared > 0) return;
        this.waiters.shift();
        this.exclusive = true;
        w.go();
        return;
      }
      this.waiters.shift();
      this.shared++;
      w.go();
    }
  }
}
