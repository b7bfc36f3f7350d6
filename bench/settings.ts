/**
 * Sizes and switches of a bench run, from the environment (see bench/README.md).
 * The defaults are the workloads of issue 7; BENCH_QUICK=1 scales everything
 * down for a smoke run of a minute or two.
 */
import { tmpdir } from 'node:os';

export interface BenchSettings {
  quick: boolean;
  /** Repetitions of every workload against every server (medians are reported). */
  reps: number;
  /** Calls in flight for small operations (metadata, 4 KiB I/O, small files). */
  depth: number;
  /** Calls in flight for sequential 1 MiB transfers. */
  seqDepth: number;
  /** Sequential file size (MiB) and transfer size (KiB, capped by the servers' rtmax/wtmax). */
  seqMiB: number;
  ioKiB: number;
  /** Random 4 KiB I/O: file size (MiB) and operations per direction. */
  randFileMiB: number;
  randOps: number;
  /** Files created, stat'ed and removed. */
  metaFiles: number;
  /** Entries in the listed directory, and listings run at once. */
  listEntries: number;
  listStreams: number;
  /** Small files written and read back, and their size (KiB). */
  smallFiles: number;
  smallKiB: number;
  /** Workload ids to run (all when empty). */
  only: string[];
  /** Kernel-client workloads in the qemu guest. */
  guest: boolean;
  guestReps: number;
  guestMiB: number;
  guestFiles: number;
  /** Metadata store of the local-durable DittoFS share and of the memory-blocks share. */
  dfsMetadata: 'lmdb' | 'memory';
  memMetadata: 'lmdb' | 'memory';
  /** Where servers keep their data (one filesystem for all). */
  baseDir: string;
}

function num(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

function store(name: string, dflt: 'lmdb' | 'memory'): 'lmdb' | 'memory' {
  const v = process.env[name] ?? dflt;
  if (v !== 'lmdb' && v !== 'memory') throw new Error(`${name} must be lmdb or memory, got ${JSON.stringify(v)}`);
  return v;
}

export function loadSettings(env = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1';
  const q = (full: number, small: number) => (quick ? small : full);
  return {
    quick,
    reps: num('BENCH_REPS', q(3, 1)),
    depth: num('BENCH_DEPTH', 64),
    seqDepth: num('BENCH_SEQ_DEPTH', 16),
    seqMiB: num('BENCH_SEQ_MIB', q(256, 32)),
    ioKiB: num('BENCH_IO_KIB', 1024),
    randFileMiB: num('BENCH_RAND_FILE_MIB', q(64, 16)),
    randOps: num('BENCH_RAND_OPS', q(10_000, 2_000)),
    metaFiles: num('BENCH_META_FILES', q(10_000, 1_000)),
    listEntries: num('BENCH_LIST_ENTRIES', q(10_000, 1_000)),
    listStreams: num('BENCH_LIST_STREAMS', 4),
    smallFiles: num('BENCH_SMALL_FILES', q(5_000, 500)),
    smallKiB: num('BENCH_SMALL_KIB', 4),
    only: (env.BENCH_ONLY ?? '').split(',').filter((s) => s.length > 0),
    guest: env.BENCH_GUEST !== '0',
    guestReps: num('BENCH_GUEST_REPS', q(2, 1)),
    guestMiB: num('BENCH_GUEST_MIB', q(64, 16)),
    guestFiles: num('BENCH_GUEST_FILES', q(500, 100)),
    dfsMetadata: store('BENCH_DFS_METADATA', 'lmdb'),
    memMetadata: store('BENCH_MEM_METADATA', 'memory'),
    baseDir: env.BENCH_DIR ?? tmpdir(),
  };
}
