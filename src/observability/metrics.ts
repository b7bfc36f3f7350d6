import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one server process. Protocols report through the
 * narrow hooks below so that they do not depend on prom-client.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly ops: Counter<'protocol' | 'op' | 'status'>;
  private readonly latency: Histogram<'protocol' | 'op'>;

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
  }

  /** A hook for one protocol: (op, status, seconds). */
  opObserver(protocol: string): (op: string, status: number | string, seconds: number) => void {
    return (op, status, seconds) => {
      this.ops.inc({ protocol, op, status: String(status) });
      this.latency.observe({ protocol, op }, seconds);
    };
  }
}
