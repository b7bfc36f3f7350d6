import type { BlockStore } from '../../storage/block/store.js';
import type { MetadataStore } from '../../storage/metadata/store.js';
import type { Timespec } from '../types.js';
import { systemClock } from '../vfs/times.js';
import type { CheckReport, Problem } from './problems.js';
import { REPAIR_ROUNDS, repairProblems } from './repair.js';
import { scanStores } from './scan.js';

export interface CheckOptions {
  /** An opened metadata store that no server is using. */
  meta: MetadataStore;
  /** The share's opened block store; without it (or without `listContent`) content is not checked. */
  blocks?: BlockStore;
  /** Fix what is found (see docs/fsck.md for what each repair does). */
  repair?: boolean;
  now?: () => Timespec;
}

/** Upper bound on scan-repair rounds; each round fixes one class, so a handful is enough. */
const MAX_PASSES = 2 * REPAIR_ROUNDS.length + 1;

/**
 * Check a share's stores for what a crash or a bug could leave behind, and
 * optionally repair it. Without `repair` it only reads. With it, it repairs
 * class by class (REPAIR_ROUNDS) and rescans after each round, until a scan
 * finds nothing repairable left.
 */
export async function checkShareStores(opts: CheckOptions): Promise<CheckReport> {
  const started = performance.now();
  let scan = await scanStores(opts.meta, opts.blocks);
  const found: Problem[] = scan.problems;
  const first = scan;
  let passes = 1;
  let repaired = 0;
  if (opts.repair === true) {
    const now = opts.now ?? systemClock;
    // Problems from later scans that correspond to ones in `found` get their repair recorded there.
    const byKey = new Map(found.map((p) => [keyOf(p), p]));
    // Problems a round could not fix: later rounds still run, and that round is not retried for them.
    const tried = new Set<string>();
    const open = (p: Problem): boolean => !tried.has(keyOf(p));
    while (passes < MAX_PASSES) {
      const round = REPAIR_ROUNDS.find((kinds) => scan.problems.some((p) => kinds.includes(p.kind) && open(p)));
      if (round === undefined) break;
      const todo = scan.problems.filter((p) => round.includes(p.kind) && open(p));
      const n = await repairProblems({ meta: opts.meta, blocks: opts.blocks, scan, now }, todo);
      for (const p of todo) {
        const orig = byKey.get(keyOf(p));
        if (p.repair !== undefined && orig !== undefined && orig.repair === undefined) orig.repair = p.repair;
        // A problem caused by an earlier repair (e.g. nlink after reattaching) is listed too.
        if (p.repair !== undefined && orig === undefined) {
          found.push(p);
          byKey.set(keyOf(p), p);
        }
      }
      for (const p of todo) if (p.repair === undefined) tried.add(keyOf(p));
      repaired += n;
      if (n === 0) continue;
      scan = await scanStores(opts.meta, opts.blocks);
      passes++;
    }
  }
  return {
    found,
    remaining: scan.problems,
    repaired,
    contentChecked: first.contentChecked,
    stats: {
      inodes: first.inodes.size,
      directories: [...first.inodes.values()].filter((i) => i.type === 'dir').length,
      entries: first.entries,
      contents: first.contents,
      passes,
      elapsedMs: Math.round(performance.now() - started),
    },
  };
}

function keyOf(p: Problem): string {
  return `${p.kind}:${p.id ?? ''}:${p.dir ?? ''}:${p.name ?? ''}:${p.contentId ?? ''}:${p.storeKind ?? ''}:${p.subject ?? ''}`;
}
