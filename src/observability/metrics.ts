import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one server process. Protocols report through the
 * narrow hooks below so that they do not depend on prom-client.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly ops: Counter<'protocol' | 'op' | 'status'>;
  private readonly latency: Histogram<'protocol' | 'op'>;
  private readonly bytes: Counter<'protocol' | 'direction'>;
  private readonly storeErrors: Counter<'protocol' | 'op'>;
  private readonly connectionSources = new Map<string, () => number>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'dfs_' });
    this.ops = new Counter({
      name: 'dfs_operations_total',
      help: 'Protocol operations handled, by protocol, operation and status',
      labelNames: ['protocol', 'op', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'dfs_operation_duration_seconds',
      help: 'Protocol operation latency',
      labelNames: ['protocol', 'op'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.registry],
    });
    this.bytes = new Counter({
      name: 'dfs_bytes_total',
      help: 'Payload bytes read and written by clients (READ/WRITE data), by protocol and direction',
      labelNames: ['protocol', 'direction'],
      registers: [this.registry],
    });
    this.storeErrors = new Counter({
      name: 'dfs_store_errors_total',
      help: 'Operations that failed with an I/O error or a server fault (a store failed), by protocol and operation',
      labelNames: ['protocol', 'op'],
      registers: [this.registry],
    });
    const sources = this.connectionSources;
    new Gauge({
      name: 'dfs_connections',
      help: 'Open client connections, by adapter',
      labelNames: ['adapter'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [adapter, count] of sources) this.set({ adapter }, count());
      },
    });
  }

  /**
   * Report lock-manager figures at every scrape: `source()` lists one entry per
   * share (its name and the manager's stats). Kept as plain numbers so this
   * module does not depend on core/locks.
   */
  trackLocks(source: () => Iterable<{ share: string; stats: LockFigures }>): void {
    const gauge = (name: string, help: string, pick: (s: LockFigures) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['share'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { share, stats } of source()) this.set({ share }, pick(stats));
        },
      });
    gauge('dfs_locks_held', 'Granted byte-range lock records, by share', (s) => s.locks);
    gauge('dfs_lock_waiters', 'Blocked lock requests waiting in the queue, by share', (s) => s.waiters);
    gauge('dfs_share_reservations', 'Open share reservations (access/deny modes), by share', (s) => s.opens);
    gauge('dfs_leases', 'Leases and delegations held, by share', (s) => s.leases);
    gauge('dfs_lock_grace', '1 while the share is in its grace period after a restart, else 0', (s) =>
      s.inGrace ? 1 : 0,
    );
    gauge('dfs_lock_grace_remaining_seconds', 'Seconds until the grace period ends', (s) => s.graceRemainingMs / 1000);
    gauge('dfs_locks_unreclaimed', 'State held before the restart and not reclaimed yet', (s) => s.unreclaimed);
    gauge('dfs_lock_deadlocks', 'Lock requests refused because they would deadlock, since start', (s) => s.deadlocks);
  }

  /** A hook for payload bytes of one protocol. */
  bytesObserver(protocol: string): (direction: 'read' | 'write', bytes: number) => void {
    return (direction, bytes) => this.bytes.inc({ protocol, direction }, bytes);
  }

  /** Report `count()` as the open connections of `adapter` at every scrape. */
  trackConnections(adapter: string, count: () => number): void {
    this.connectionSources.set(adapter, count);
  }

  /**
   * A hook for one protocol: (op, status, seconds). `storeErrorStatuses`:
   * the protocol's status codes that mean a store failed (counted in
   * dfs_store_errors_total as well).
   */
  opObserver(
    protocol: string,
    storeErrorStatuses: readonly (number | string)[] = [],
  ): (op: string, status: number | string, seconds: number) => void {
    return (op, status, seconds) => {
      this.ops.inc({ protocol, op, status: String(status) });
      if (storeErrorStatuses.includes(status)) this.storeErrors.inc({ protocol, op });
      this.latency.observe({ protocol, op }, seconds);
    };
  }
}

/** The lock-manager figures the metrics read (a subset of core/locks LockStats). */
export interface LockFigures {
  locks: number;
  waiters: number;
  opens: number;
  leases: number;
  inGrace: boolean;
  graceRemainingMs: number;
  unreclaimed: number;
  deadlocks: number;
}
