/**
 * A fair shared/exclusive gate for the updates of one store process.
 *
 * First attempts run shared (in parallel, as many as the pool allows). An
 * update that lost a serialization conflict runs its next attempt exclusive:
 * it waits for the running ones to finish and holds back new ones, so within
 * this process nothing can beat it again. Under contention (many creates in
 * one directory, which all rewrite that directory's inode) the store thus
 * falls back to running updates one at a time instead of wasting every
 * parallel attempt but one; without contention it costs nothing. Conflicts
 * with other servers are still settled by PostgreSQL.
 *
 * Grants are in arrival order: a queued exclusive request blocks later shared
 * ones, so a retrying update cannot starve.
 */
export class ConflictGate {
  private shared = 0;
  private exclusive = false;
  private readonly queue: { exclusive: boolean; grant: () => void }[] = [];

  acquire(exclusive: boolean): Promise<void> {
    if (this.queue.length === 0 && this.canGrant(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((grant) => this.queue.push({ exclusive, grant }));
  }

  release(exclusive: boolean): void {
    if (exclusive) this.exclusive = false;
    else this.shared--;
    while (this.queue.length > 0 && this.canGrant(this.queue[0].exclusive)) {
      const next = this.queue.shift()!;
      this.take(next.exclusive);
      next.grant();
    }
  }

  private canGrant(exclusive: boolean): boolean {
    return exclusive ? !this.exclusive && this.shared === 0 : !this.exclusive;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.exclusive = true;
    else this.shared++;
  }
}
