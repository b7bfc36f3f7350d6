/**
 * `npm run bench` (through scripts/bench.mjs, which builds and installs what
 * is missing first): DittoFS and nfs-ganesha side by side, in one run.
 *
 * 1. Starts three servers, each its own process on private ports, exporting
 *    a fresh directory on one filesystem: DittoFS with the fs block store
 *    (local-durable, compared with ganesha), nfs-ganesha (VFS), and DittoFS
 *    with the memory block store (reported apart, as the writeback stand-in).
 * 2. Warms every server up with one small unrecorded pass (V8's JIT).
 * 3. Host-side client: every workload, every server, alternating, BENCH_REPS times.
 * 4. Kernel client in the qemu guest: dd and file workloads, all servers mounted.
 * 5. Optionally (BENCH_PROFILE) reruns workloads against a DittoFS started
 *    with --cpu-prof and summarises the profiles by self time.
 * 6. Writes bench/results/latest.json, bench/results/ratios.svg and
 *    docs/benchmarks.md (a quick run writes bench/results/quick.* instead).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release } from 'node:os';
import { join, relative } from 'node:path';
import { missingForGuest, runKernelWorkloads } from './guest/kernel-runner.js';
import { runHostWorkloads } from './host-runner.js';
import { formatSummary, summarizeProfileFile, type ProfileSummary } from './profile/summarize.js';
import { renderMarkdown } from './report/markdown.js';
import { fmtRatio, ratioSvg, ratioText } from './report/ratio-chart.js';
import type { BenchResults } from './report/results.js';
import { summarize, type Row } from './report/summary.js';
import type { Sample } from './samples.js';
import { DFS_ENTRY, REPO_ROOT, startDittofs } from './servers/dittofs.js';
import { startGanesha } from './servers/ganesha.js';
import type { BenchServer } from './servers/types.js';
import { loadSettings, type BenchSettings } from './settings.js';
import { listing } from './workloads/listing.js';
import { metadata } from './workloads/metadata.js';
import { random } from './workloads/random.js';
import { sequential } from './workloads/sequential.js';
import { smallFiles } from './workloads/small-files.js';
import type { Workload } from './workloads/types.js';

const ALL_WORKLOADS: readonly Workload[] = [sequential, random, metadata, listing, smallFiles];

const t0 = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}`);

function ganeshaVersion(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'nfs-ganesha'], { encoding: 'utf8' });
  return r.status === 0 ? `nfs-ganesha ${r.stdout.trim()}` : 'nfs-ganesha (version unknown)';
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The same workloads at smoke-run sizes: lets V8 compile DittoFS's hot paths before anything is timed. */
function warmupSettings(s: BenchSettings): BenchSettings {
  return {
    ...s,
    reps: 1,
    seqMiB: Math.min(s.seqMiB, 32),
    randOps: Math.min(s.randOps, 2000),
    randFileMiB: Math.min(s.randFileMiB, 16),
    metaFiles: Math.min(s.metaFiles, 1000),
    listEntries: Math.min(s.listEntries, 1000),
    smallFiles: Math.min(s.smallFiles, 500),
  };
}

/** Profiles need fewer operations than medians do: half the sizes, one repetition. */
function profileSettings(s: BenchSettings): BenchSettings {
  const half = (v: number) => Math.max(1, Math.round(v / 2));
  return {
    ...s,
    reps: 1,
    seqMiB: half(s.seqMiB),
    randOps: half(s.randOps),
    metaFiles: half(s.metaFiles),
    listEntries: half(s.listEntries),
    smallFiles: Math.max(1, Math.round(s.smallFiles / 3)),
  };
}

async function startAll(s: BenchSettings, started: BenchServer[]): Promise<BenchServer[]> {
  started.push(await startDittofs({ label: 'dittofs', blocks: 'fs', metadata: s.dfsMetadata, baseDir: s.baseDir }));
  started.push(await startGanesha({ baseDir: s.baseDir }));
  started.push(
    await startDittofs({ label: 'dittofs-mem', blocks: 'memory', metadata: s.memMetadata, baseDir: s.baseDir }),
  );
  return started;
}

/** Workloads to profile: BENCH_PROFILE=all | trailing | ids (comma-separated) | 0. */
function profileTargets(spec: string, workloads: readonly Workload[], rows: readonly Row[]): Workload[] {
  if (spec === '' || spec === '0') return [];
  if (spec === 'all') return [...workloads];
  if (spec === 'trailing') {
    const trailing = new Set(
      rows.filter((r) => r.client === 'host' && r.ratio !== null && r.ratio < 1).map((r) => r.metric.split('-')[0]),
    );
    return workloads.filter((w) => trailing.has(w.id));
  }
  const ids = spec.split(',');
  return workloads.filter((w) => ids.includes(w.id));
}

async function profileWorkload(w: Workload, s: BenchSettings): Promise<ProfileSummary> {
  const dir = await mkdtemp(join(s.baseDir, 'dfs-bench-prof-'));
  const server = await startDittofs({
    label: 'dittofs',
    blocks: 'fs',
    metadata: s.dfsMetadata,
    baseDir: s.baseDir,
    cpuProfileDir: dir,
  });
  try {
    await runHostWorkloads([server], [w], profileSettings(s), () => undefined);
  } finally {
    await server.stop();
  }
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  const outDir = join(REPO_ROOT, 'bench', 'results', 'profiles');
  await mkdir(outDir, { recursive: true });
  const kept = join(outDir, `${w.id}.cpuprofile`);
  await rm(kept, { force: true });
  await rename(join(dir, files[0]), kept).catch(() => copyFile(join(dir, files[0]), kept));
  await rm(dir, { recursive: true, force: true });
  return summarizeProfileFile(kept, w.id, REPO_ROOT, 15).then((p) => ({ ...p, file: relative(REPO_ROOT, kept) }));
}

async function main(): Promise<void> {
  const s = loadSettings();
  if (!existsSync(DFS_ENTRY)) throw new Error(`${DFS_ENTRY} is missing: run \`npm run build\` (npm run bench does)`);
  const workloads = s.only.length ? ALL_WORKLOADS.filter((w) => s.only.includes(w.id)) : ALL_WORKLOADS;
  const startedAt = new Date().toISOString();
  const loadBefore = load();
  log(`settings: ${JSON.stringify(s)}`);

  const servers: BenchServer[] = [];
  const errors: string[] = [];
  let samples: Sample[] = [];
  let transfer = '';
  let mounts: Record<string, string> = {};
  const stopAll = async () => {
    for (const srv of servers.splice(0)) await srv.stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    await startAll(s, servers);
    log(`servers: ${servers.map((x) => `${x.label} pid ${x.pid} port ${x.port}`).join(', ')}`);
    if (process.env.BENCH_WARMUP !== '0') {
      log('warm-up pass (not recorded)');
      await runHostWorkloads(servers, workloads, warmupSettings(s), () => undefined);
    }
    const host = await runHostWorkloads(servers, workloads, s, log);
    samples = host.samples;
    transfer = Object.entries(host.transfer)
      .map(([k, v]) => `${k} ${v.rtmax / 1024}/${v.wtmax / 1024} KiB`)
      .join(', ');
    if (s.guest && s.only.length === 0) {
      const missing = missingForGuest();
      if (missing.length) errors.push(`kernel-client workloads skipped: missing ${missing.join(', ')}`);
      else {
        log('kernel client: booting the qemu guest');
        const k = await runKernelWorkloads(servers, s, log);
        samples.push(...k.samples);
        mounts = k.mounts;
        errors.push(...k.errors);
      }
    }
  } catch (e) {
    for (const srv of servers) errors.push(`${srv.label} log tail: ${(await srv.logs()).slice(-2000)}`);
    throw e;
  } finally {
    await stopAll();
  }

  const rows = summarize(samples, s);
  const profiles: ProfileSummary[] = [];
  for (const w of profileTargets(process.env.BENCH_PROFILE ?? '0', workloads, rows)) {
    log(`profiling DittoFS on ${w.id}`);
    const p = await profileWorkload(w, s);
    profiles.push(p);
    console.log(formatSummary(p));
  }

  const results: BenchResults = {
    format: 1,
    startedAt,
    durationSec: (Date.now() - t0) / 1000,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      kernel: release(),
      node: process.version,
      ganesha: ganeshaVersion(),
      loadBefore,
      loadAfter: load(),
    },
    settings: s,
    transfer,
    mounts,
    rows,
    samples,
    profiles,
    errors,
  };
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const base = s.quick || s.only.length ? 'quick' : 'latest';
  const jsonPath = join(resultsDir, `${base}.json`);
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  const svgName = base === 'latest' ? 'ratios.svg' : 'quick-ratios.svg';
  await writeFile(join(resultsDir, svgName), ratioSvg(rows, 'DittoFS / nfs-ganesha (median of alternating runs)'));
  const mdPath = base === 'latest' ? join(REPO_ROOT, 'docs', 'benchmarks.md') : join(resultsDir, 'quick.md');
  const svgLink = base === 'latest' ? `../bench/results/${svgName}` : svgName;
  await writeFile(mdPath, renderMarkdown(results, svgLink));

  console.log(`\n${ratioText(rows)}\n`);
  for (const r of rows) {
    const f = (l: string) => (r.servers[l] ? r.servers[l].median.toFixed(0) : '–');
    console.log(
      `${r.metric.padEnd(12)} ${r.unit.padEnd(10)} dittofs ${f('dittofs').padStart(7)}  ganesha ${f('ganesha').padStart(7)}  ratio ${fmtRatio(r.ratio).padStart(6)}   mem ${f('dittofs-mem').padStart(7)} (${fmtRatio(r.ratioWriteback)})`,
    );
  }
  for (const e of errors) console.log(`error: ${e}`);
  log(`wrote ${relative(REPO_ROOT, jsonPath)} and ${relative(REPO_ROOT, mdPath)}`);
}

await main();
