/**
 * A quick development loop: one DittoFS server (no ganesha, no guest), the
 * chosen host workloads a few times, and per phase the rate and the server
 * CPU per unit. CPU per unit moves much less than the rate when other work
 * shares the machine, so it is the figure to compare before/after a change.
 *
 *   npm run build && npx tsx bench/loop.ts [seq,rand,meta,list,small] [reps]
 *   LOOP_STORES=memory ...  memory blocks + memory metadata instead of fs + lmdb
 *   LOOP_PROFILE=dir ...    the server runs under node --cpu-prof, the profile lands in dir
 *
 * Sizes come from the BENCH_* variables, as in `npm run bench` (BENCH_QUICK=1 for small ones).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runHostWorkloads } from './host-runner.js';
import { metricInfo } from './metrics.js';
import { startDittofs } from './servers/dittofs.js';
import { loadSettings } from './settings.js';
import { listing } from './workloads/listing.js';
import { metadata } from './workloads/metadata.js';
import { random } from './workloads/random.js';
import { sequential } from './workloads/sequential.js';
import { smallFiles } from './workloads/small-files.js';

const ALL = [sequential, random, metadata, listing, smallFiles];

async function main(): Promise<void> {
  const ids = (process.argv[2] ?? 'seq,rand,meta,list,small').split(',');
  const reps = Number(process.argv[3] ?? 3);
  const settings = { ...loadSettings(), reps };
  const memory = process.env.LOOP_STORES === 'memory';
  const base = await mkdtemp(join(tmpdir(), 'dfs-loop-'));
  const profileDir = process.env.LOOP_PROFILE ? resolve(process.env.LOOP_PROFILE) : undefined;
  const server = await startDittofs({
    label: memory ? 'dittofs-mem' : 'dittofs',
    blocks: memory ? 'memory' : 'fs',
    metadata: memory ? 'memory' : 'lmdb',
    baseDir: base,
    cpuProfileDir: profileDir,
  });
  try {
    const workloads = ALL.filter((w) => ids.includes(w.id));
    const { samples } = await runHostWorkloads([server], workloads, settings, (l) => process.stdout.write(`${l}\n`));
    const byMetric = new Map<string, { rate: number; cpu: number }[]>();
    for (const s of samples) {
      const list = byMetric.get(s.metric) ?? [];
      list.push({ rate: s.units / s.seconds, cpu: (s.serverCpuSeconds * 1e6) / s.units });
      byMetric.set(s.metric, list);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const [metric, list] of byMetric) {
      const info = metricInfo(metric);
      const rate = median(list.map((x) => x.rate));
      const cpu = median(list.map((x) => x.cpu));
      process.stdout.write(
        `${metric.padEnd(12)} ${rate.toFixed(0).padStart(8)} ${info.unit.padEnd(10)} cpu ${cpu.toFixed(1).padStart(8)} µs/unit\n`,
      );
    }
  } finally {
    await server.stop();
    await rm(base, { recursive: true, force: true });
  }
}

await main();
