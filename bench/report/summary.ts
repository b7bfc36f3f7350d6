/**
 * From samples to the reported figures: per metric and server, the median
 * rate over repetitions, the median server CPU time per unit of work, the
 * highest peak RSS, and DittoFS / ganesha as a ratio of medians.
 */
import { DERIVED, METRICS, type ClientKind } from '../metrics.js';
import type { Sample } from '../samples.js';
import type { BenchSettings } from '../settings.js';

export const LOCAL_DURABLE = 'dittofs';
export const WRITEBACK = 'dittofs-mem';
export const REFERENCE = 'ganesha';

export interface ServerFigure {
  /** Median rate (units per second) over repetitions, and the spread. */
  median: number;
  min: number;
  max: number;
  reps: number;
  /** Median server CPU time per unit of work, in microseconds. */
  cpuUsPerUnit: number;
  /** Median server CPU use during the phase, in cores (CPU seconds / wall seconds). */
  cpuCores: number;
  /** Highest peak RSS seen during the phase (MiB). */
  peakRssMiB: number;
  /** Median CPU use of the host bench client, in cores (null for the kernel client). */
  clientCores: number | null;
}

export interface Row {
  metric: string;
  client: ClientKind;
  title: string;
  unit: string;
  per: string;
  servers: Record<string, ServerFigure>;
  /** Median DittoFS (fs blocks, local-durable) / median ganesha. */
  ratio: number | null;
  /** Median DittoFS (memory blocks, the closest to writeback) / median ganesha. */
  ratioWriteback: number | null;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Adds the derived metrics (e.g. meta-all) per server and repetition. */
export function withDerived(samples: readonly Sample[]): Sample[] {
  const out = [...samples];
  for (const [id, parts] of Object.entries(DERIVED)) {
    const groups = new Map<string, Sample[]>();
    for (const s of samples) {
      if (!parts.includes(s.metric)) continue;
      const k = `${s.server}\u0000${s.rep}`;
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const g of groups.values()) {
      if (g.length !== parts.length) continue;
      const sum = (f: (s: Sample) => number) => g.reduce((a, s) => a + f(s), 0);
      out.push({
        metric: id,
        server: g[0].server,
        rep: g[0].rep,
        seconds: sum((s) => s.seconds),
        units: sum((s) => s.units),
        serverCpuSeconds: sum((s) => s.serverCpuSeconds),
        serverPeakRssMiB: Math.max(...g.map((s) => s.serverPeakRssMiB)),
        clientCpuSeconds: g.every((s) => s.clientCpuSeconds !== null) ? sum((s) => s.clientCpuSeconds!) : null,
      });
    }
  }
  return out;
}

function figure(samples: readonly Sample[]): ServerFigure {
  const rates = samples.map((s) => s.units / s.seconds);
  const client = samples.filter((s) => s.clientCpuSeconds !== null);
  return {
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    reps: samples.length,
    cpuUsPerUnit: median(samples.map((s) => (s.serverCpuSeconds / s.units) * 1e6)),
    cpuCores: median(samples.map((s) => s.serverCpuSeconds / s.seconds)),
    peakRssMiB: Math.max(...samples.map((s) => s.serverPeakRssMiB)),
    clientCores: client.length ? median(client.map((s) => s.clientCpuSeconds! / s.seconds)) : null,
  };
}

export function summarize(samples: readonly Sample[], settings: BenchSettings): Row[] {
  const all = withDerived(samples);
  const rows: Row[] = [];
  for (const m of METRICS) {
    const mine = all.filter((s) => s.metric === m.id);
    if (mine.length === 0) continue;
    const servers: Record<string, ServerFigure> = {};
    for (const label of [...new Set(mine.map((s) => s.server))]) {
      servers[label] = figure(mine.filter((s) => s.server === label));
    }
    const ref = servers[REFERENCE]?.median;
    const ratioOf = (label: string) => (ref && servers[label] ? servers[label].median / ref : null);
    rows.push({
      metric: m.id,
      client: m.client,
      title: m.title(settings),
      unit: m.unit,
      per: m.per,
      servers,
      ratio: ratioOf(LOCAL_DURABLE),
      ratioWriteback: ratioOf(WRITEBACK),
    });
  }
  return rows;
}
