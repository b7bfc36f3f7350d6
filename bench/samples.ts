/**
 * One measured phase of one workload against one server, and how it is
 * measured: wall time on the client, the server's CPU time and peak RSS from
 * procfs, and the host client's own CPU time (to show when the client, not
 * the server, was the limit).
 */
import { performance } from 'node:perf_hooks';
import { openWindow } from './servers/proc-stats.js';

export interface Sample {
  metric: string;
  server: string;
  rep: number;
  seconds: number;
  /** Units of work done (MiB, operations, files, entries; see metrics.ts). */
  units: number;
  serverCpuSeconds: number;
  serverPeakRssMiB: number;
  /** CPU seconds of the bench process itself (host client only). */
  clientCpuSeconds: number | null;
}

export type Measured = Omit<Sample, 'metric' | 'server' | 'rep'>;

export async function measurePhase(pid: number, fn: () => Promise<number>): Promise<Measured> {
  const close = await openWindow(pid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const units = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const w = await close();
  return {
    seconds,
    units,
    serverCpuSeconds: w.cpuSeconds,
    serverPeakRssMiB: w.peakRssMiB,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
