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
