/**
 * Summarises a V8 .cpuprofile (what `node --cpu-prof` writes) by self time:
 * which functions the samples landed in, and which source files, with the
 * idle and garbage-collector shares apart.
 *
 *   npx tsx bench/profile/summarize.ts FILE.cpuprofile [TOP]
 *
 * Self time per node is the sum of the sampling intervals (timeDeltas) of
 * the samples that hit it, which is more exact than hitCount × interval.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the non-idle time (JavaScript, native code and GC). */
  pctOfBusy: number;
  /** The commonest call paths into it (nearest caller first) with their self ms: tells apart, say, a socket write from a file write. */
  callers?: { path: string; ms: number }[];
}

export interface ProfileSummary {
  workload: string;
  file: string;
  totalMs: number;
  idlePct: number;
  gcPct: number;
  busyPct: number;
  top: FunctionTime[];
  topFiles: FunctionTime[];
}

function where(url: string, line: number, root: string): string {
  if (!url) return '(native)';
  let p = url;
  if (url.startsWith('file://')) p = relative(root, fileURLToPath(url));
  if (p.startsWith('node_modules/')) p = p.replace(/^node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, 'node_modules/$1');
  return line >= 0 ? `${p}:${line + 1}` : p;
}

export function summarizeProfile(
  profile: CpuProfile,
  opts: { workload: string; file: string; root: string; top?: number },
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const callerPath = (id: number): string => {
    const parts: string[] = [];
    for (let p = parentOf.get(id); p !== undefined && parts.length < 3; p = parentOf.get(p)) {
      const cf = byId.get(p)!.callFrame;
      if (cf.functionName === '(root)') break;
      parts.push(`${cf.functionName || '(anonymous)'} ${where(cf.url, cf.lineNumber, opts.root)}`);
    }
    return parts.join(' ← ') || '(top level)';
  };
  const callers = new Map<string, Map<string, number>>();
  const self = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample; it belongs to sample i.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let total = 0;
  let idle = 0;
  let gc = 0;
  const fns = new Map<string, FunctionTime>();
  const files = new Map<string, FunctionTime>();
  for (const [id, us] of self) {
    total += us;
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    if (cf.functionName === '(garbage collector)') gc += us;
    const name = cf.functionName || '(anonymous)';
    const loc = where(cf.url, cf.lineNumber, opts.root);
    const key = `${name} ${loc}`;
    const f = fns.get(key) ?? { name, where: loc, selfMs: 0, pctOfBusy: 0 };
    f.selfMs += us / 1000;
    fns.set(key, f);
    const byPath = callers.get(key) ?? new Map<string, number>();
    const path = callerPath(id);
    byPath.set(path, (byPath.get(path) ?? 0) + us / 1000);
    callers.set(key, byPath);
    const file = where(cf.url, -1, opts.root) || name;
    const g = files.get(file) ?? { name: file, where: file, selfMs: 0, pctOfBusy: 0 };
    g.selfMs += us / 1000;
    files.set(file, g);
  }
  const busyMs = (total - idle) / 1000;
  const rank = (m: Map<string, FunctionTime>) =>
    [...m.values()]
      .map((f) => ({ ...f, pctOfBusy: busyMs > 0 ? (f.selfMs / busyMs) * 100 : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, opts.top ?? 15);
  const pct = (us: number) => (total > 0 ? (us / total) * 100 : 0);
  const top = rank(fns);
  for (const f of top) {
    const paths = [...(callers.get(`${f.name} ${f.where}`) ?? new Map<string, number>())];
    f.callers = paths
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([path, ms]) => ({ path, ms }));
  }
  return {
    workload: opts.workload,
    file: opts.file,
    totalMs: total / 1000,
    idlePct: pct(idle),
    gcPct: pct(gc),
    busyPct: pct(total - idle - gc),
    top,
    topFiles: rank(files).slice(0, 8),
  };
}

export async function summarizeProfileFile(
  file: string,
  workload: string,
  root: string,
  top?: number,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  return summarizeProfile(profile, { workload, file, root, top });
}

export function formatSummary(p: ProfileSummary): string {
  const lines = [
    `${p.workload}: ${(p.totalMs / 1000).toFixed(1)} s sampled, idle ${p.idlePct.toFixed(0)}%, GC ${p.gcPct.toFixed(0)}%, other ${p.busyPct.toFixed(0)}%`,
    '  self% (of non-idle)  self ms  function  (where)',
  ];
  for (const f of p.top) {
    lines.push(
      `  ${f.pctOfBusy.toFixed(1).padStart(5)} ${Math.round(f.selfMs).toString().padStart(8)}  ${f.name}  (${f.where})`,
    );
    for (const c of f.callers ?? []) lines.push(`  ${''.padStart(14)}    ${Math.round(c.ms)} ms from ${c.path}`);
  }
  lines.push('  by file:');
  for (const f of p.topFiles)
    lines.push(`  ${f.pctOfBusy.toFixed(1).padStart(5)} ${Math.round(f.selfMs).toString().padStart(8)}  ${f.where}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx bench/profile/summarize.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  console.log(formatSummary(await summarizeProfileFile(file, file, process.cwd(), top ? Number(top) : 25)));
}
