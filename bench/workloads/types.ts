import type { Nfs3BenchClient } from '../client/nfs3-bench-client.js';
import type { BenchSettings } from '../settings.js';

export interface WorkloadContext {
  client: Nfs3BenchClient;
  settings: BenchSettings;
  /** Unique per run of a workload (names its directory or file). */
  tag: string;
  /**
   * Runs `fn` as one measured phase of `metric`: wall time, the server's CPU
   * and peak RSS, and the client's CPU are recorded around it. `fn` resolves
   * to the number of the metric's units it completed (MiB, I/Os, files, ...).
   */
  measure(metric: string, fn: () => Promise<number>): Promise<void>;
}

/** A host-side workload: untimed setup, measured phases, untimed cleanup. */
export interface Workload {
  id: string;
  run(ctx: WorkloadContext): Promise<void>;
}
