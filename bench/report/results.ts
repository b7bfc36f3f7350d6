/** The JSON a bench run writes (bench/results/latest.json), from which the docs are rendered. */
import type { ProfileSummary } from '../profile/summarize.js';
import type { Sample } from '../samples.js';
import type { BenchSettings } from '../settings.js';
import type { Row } from './summary.js';

export interface BenchResults {
  /** Bumped when the shape changes. */
  format: 1;
  startedAt: string;
  durationSec: number;
  machine: {
    cpus: number;
    cpuModel: string;
    kernel: string;
    node: string;
    ganesha: string;
    loadBefore: string;
    loadAfter: string;
  };
  settings: BenchSettings;
  /** Transfer sizes the servers offered (FSINFO), as text. */
  transfer: string;
  /** Kernel client mount options per server. */
  mounts: Record<string, string>;
  rows: Row[];
  samples: Sample[];
  profiles: ProfileSummary[];
  errors: string[];
}
