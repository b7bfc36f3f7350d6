/**
 * Failed-login limiter: at most `max` failures per key (the client address)
 * in a sliding `windowMs`. Success clears nothing: an attacker who knows one
 * password must not reset the counter while guessing another.
 * Memory is bounded: at most `maxKeys` keys, the oldest dropped first.
 */
export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** Seconds until `key` may try again, or 0. */
  retryAfter(key: string, now = Date.now()): number {
    const list = this.recent(key, now);
    if (list.length < this.max) return 0;
    return Math.max(1, Math.ceil((list[0] + this.windowMs - now) / 1000));
  }

  fail(key: string, now = Date.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    this.failures.delete(key);
    this.failures.set(key, list);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key) ?? [];
    while (list.length > 0 && list[0] <= now - this.windowMs) list.shift();
    return list;
  }
}
