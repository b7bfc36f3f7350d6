/**
 * Every figure the bench reports, in one table: what it measures, its unit,
 * and what one "unit" is when CPU time is divided per unit.
 */
import type { BenchSettings } from './settings.js';

export type ClientKind = 'host' | 'kernel';

export interface MetricInfo {
  id: string;
  client: ClientKind;
  title: (s: BenchSettings) => string;
  /** Rate unit, e.g. "MiB/s". */
  unit: string;
  /** One unit of work, e.g. "MiB", "op", "file". */
  per: string;
}

const n = (v: number) => v.toLocaleString('en-US');

export const METRICS: readonly MetricInfo[] = [
  {
    id: 'seq-write',
    client: 'host',
    unit: 'MiB/s',
    per: 'MiB',
    title: (s) => `sequential write ${s.seqMiB} MiB (UNSTABLE + COMMIT)`,
  },
  { id: 'seq-read', client: 'host', unit: 'MiB/s', per: 'MiB', title: (s) => `sequential read ${s.seqMiB} MiB` },
  {
    id: 'rand-read',
    client: 'host',
    unit: 'IOPS',
    per: 'op',
    title: (s) => `random 4 KiB read, ${s.randFileMiB} MiB file`,
  },
  {
    id: 'rand-write',
    client: 'host',
    unit: 'IOPS',
    per: 'op',
    title: (s) => `random 4 KiB write (UNSTABLE + COMMIT), ${s.randFileMiB} MiB file`,
  },
  { id: 'meta-create', client: 'host', unit: 'ops/s', per: 'op', title: (s) => `CREATE ${n(s.metaFiles)} empty files` },
  { id: 'meta-stat', client: 'host', unit: 'ops/s', per: 'op', title: (s) => `GETATTR ${n(s.metaFiles)} files` },
  { id: 'meta-remove', client: 'host', unit: 'ops/s', per: 'op', title: (s) => `REMOVE ${n(s.metaFiles)} files` },
  {
    id: 'meta-all',
    client: 'host',
    unit: 'ops/s',
    per: 'op',
    title: (s) => `create + stat + remove ${n(s.metaFiles)} files (all three)`,
  },
  {
    id: 'list',
    client: 'host',
    unit: 'entries/s',
    per: 'entry',
    title: (s) => `READDIRPLUS of ${n(s.listEntries)} entries, ${s.listStreams} listings at once`,
  },
  {
    id: 'small-write',
    client: 'host',
    unit: 'files/s',
    per: 'file',
    title: (s) => `small files: CREATE + WRITE ${s.smallKiB} KiB FILE_SYNC, ${n(s.smallFiles)} files`,
  },
  {
    id: 'small-read',
    client: 'host',
    unit: 'files/s',
    per: 'file',
    title: (s) => `small files: LOOKUP + READ ${s.smallKiB} KiB, ${n(s.smallFiles)} files`,
  },
  {
    id: 'k-dd-write',
    client: 'kernel',
    unit: 'MiB/s',
    per: 'MiB',
    title: (s) => `kernel: dd write ${s.guestMiB} MiB, conv=fsync`,
  },
  {
    id: 'k-dd-read',
    client: 'kernel',
    unit: 'MiB/s',
    per: 'MiB',
    title: (s) => `kernel: dd read ${s.guestMiB} MiB, caches dropped`,
  },
  {
    id: 'k-create',
    client: 'kernel',
    unit: 'files/s',
    per: 'file',
    title: (s) => `kernel: create ${n(s.guestFiles)} empty files`,
  },
  {
    id: 'k-stat',
    client: 'kernel',
    unit: 'files/s',
    per: 'file',
    title: (s) => `kernel: stat ${n(s.guestFiles)} files, caches dropped`,
  },
  {
    id: 'k-remove',
    client: 'kernel',
    unit: 'files/s',
    per: 'file',
    title: (s) => `kernel: rm -r of ${n(s.guestFiles)} files`,
  },
];

export function metricInfo(id: string): MetricInfo {
  const m = METRICS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown metric ${id}`);
  return m;
}

/** Metrics summed from others per repetition (units and seconds added up). */
export const DERIVED: Readonly<Record<string, readonly string[]>> = {
  'meta-all': ['meta-create', 'meta-stat', 'meta-remove'],
};
