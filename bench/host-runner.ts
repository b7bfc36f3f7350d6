/**
 * Runs the host-side workloads: for each repetition, each workload against
 * each server in turn, the servers' order rotating between repetitions so
 * that drift (page cache, CPU frequency, a neighbour's load) is spread evenly.
 */
import { Nfs3BenchClient } from './client/nfs3-bench-client.js';
import { measurePhase, type Sample } from './samples.js';
import type { BenchServer } from './servers/types.js';
import type { BenchSettings } from './settings.js';
import type { Workload } from './workloads/types.js';
import { metricInfo } from './metrics.js';

export interface HostRun {
  samples: Sample[];
  /** FSINFO rtmax / wtmax per server. */
  transfer: Record<string, { rtmax: number; wtmax: number }>;
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export async function runHostWorkloads(
  servers: readonly BenchServer[],
  workloads: readonly Workload[],
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<HostRun> {
  const samples: Sample[] = [];
  const transfer: HostRun['transfer'] = {};
  const clients = new Map<string, Nfs3BenchClient>();
  try {
    for (const s of servers) {
      const c = await Nfs3BenchClient.connect(s);
      clients.set(s.label, c);
      transfer[s.label] = { rtmax: c.rtmax, wtmax: c.wtmax };
    }
    for (let rep = 0; rep < settings.reps; rep++) {
      for (const w of workloads) {
        for (const s of rotate(servers, rep)) {
          const parts: string[] = [];
          await w.run({
            client: clients.get(s.label)!,
            settings,
            tag: `r${rep}`,
            measure: async (metric, fn) => {
              const m = await measurePhase(s.pid, fn);
              samples.push({ metric, server: s.label, rep, ...m });
              parts.push(`${metric} ${(m.units / m.seconds).toFixed(0)} ${metricInfo(metric).unit}`);
            },
          });
          log(`host rep ${rep + 1}/${settings.reps} ${s.label.padEnd(11)} ${parts.join(', ')}`);
        }
      }
    }
  } finally {
    for (const c of clients.values()) await c.close();
  }
  return { samples, transfer };
}
