/**
 * What a server process cost, read from procfs (proc(5)): CPU seconds
 * (utime + stime of the whole thread group, so ganesha's worker threads and
 * Node's libuv pool are both counted) and peak resident memory (VmHWM).
 */
import { readFile, writeFile } from 'node:fs/promises';

/** Clock ticks per second for /proc/PID/stat; 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const CLK_TCK = 100;

/** utime + stime of process `pid`, in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // proc(5): field 2 (comm) is in parentheses and may contain spaces; count from after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function statusKiB(pid: number, key: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

/** Peak resident set size (VmHWM) in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  return (await statusKiB(pid, 'VmHWM')) / 1024;
}

/** Current resident set size (VmRSS) in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  return (await statusKiB(pid, 'VmRSS')) / 1024;
}

/**
 * Resets VmHWM to the current RSS (proc(5), /proc/PID/clear_refs value 5,
 * Linux ≥ 4.0), so that each workload's peak is its own. Returns false when
 * not permitted (another user's process), in which case the peak is since start.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** One measurement window on one process. */
export interface ProcWindow {
  cpuSeconds: number;
  peakRssMiB: number;
}

/** Starts a window: resets the peak, notes CPU; the returned function ends it. */
export async function openWindow(pid: number): Promise<() => Promise<ProcWindow>> {
  await resetPeakRss(pid);
  const cpu0 = await cpuSeconds(pid);
  return async () => ({ cpuSeconds: (await cpuSeconds(pid)) - cpu0, peakRssMiB: await peakRssMiB(pid) });
}
