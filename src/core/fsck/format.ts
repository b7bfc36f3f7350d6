import { isClean, type CheckReport } from './problems.js';

/** The human-readable report of `dfs fsck`: one line per problem, then a summary. */
export function formatReport(share: string, report: CheckReport, repairing: boolean): string {
  const lines: string[] = [];
  for (const p of report.found) {
    const tag = p.severity === 'error' ? 'ERROR  ' : 'WARNING';
    lines.push(`${tag} ${p.kind}: ${p.message}${p.repair !== undefined ? ` -> ${p.repair}` : ''}`);
  }
  if (repairing) {
    for (const p of report.remaining) lines.push(`LEFT    ${p.kind}: ${p.message}`);
  }
  const s = report.stats;
  const errors = report.found.filter((p) => p.severity === 'error').length;
  const warnings = report.found.length - errors;
  lines.push(
    `${share}: ${s.inodes} inodes (${s.directories} directories), ${s.entries} entries, ` +
      `${report.contentChecked ? `${s.contents} content objects` : 'content not checked (the block store cannot list)'}; ` +
      `${errors} errors, ${warnings} warnings` +
      (repairing ? `, ${report.repaired} repaired, ${report.remaining.length} left` : '') +
      ` (${s.passes} ${s.passes === 1 ? 'pass' : 'passes'}, ${s.elapsedMs} ms)`,
  );
  if (!isClean(report))
    lines.push(repairing ? `${share}: NOT CLEAN after repair` : `${share}: NOT CLEAN (run with --repair to fix)`);
  else if (warnings > 0 && !repairing) lines.push(`${share}: clean; reclaimable space can be freed with --repair`);
  else lines.push(`${share}: clean`);
  return lines.join('\n');
}
