import type { HeldLock, LockRequest, LockWaiter, WaiterEndReason, WaiterOutcome } from './api.js';

/**
 * A queued blocking request. The manager settles it exactly once: `grant`
 * when the lock is applied, `finish` when it is cancelled, its client released,
 * or the manager closed.
 */
export class Waiter implements LockWaiter {
  readonly outcome: Promise<WaiterOutcome>;
  private settle!: (o: WaiterOutcome) => void;
  private done = false;

  constructor(
    readonly id: number,
    readonly request: LockRequest,
    readonly start: number,
    readonly end: number,
    private readonly onCancel: (w: Waiter) => void,
  ) {
    this.outcome = new Promise<WaiterOutcome>((resolve) => {
      this.settle = resolve;
    });
  }

  get settled(): boolean {
    return this.done;
  }

  cancel(): boolean {
    if (this.done) return false;
    this.onCancel(this);
    return true;
  }

  grant(lock: HeldLock): void {
    if (this.done) return;
    this.done = true;
    this.settle({ granted: true, lock });
  }

  finish(reason: WaiterEndReason): void {
    if (this.done) return;
    this.done = true;
    this.settle({ granted: false, reason });
  }
}
