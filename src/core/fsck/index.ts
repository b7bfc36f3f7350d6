export { checkShareStores, type CheckOptions } from './check.js';
export { formatReport } from './format.js';
export {
  isClean,
  SEVERITY,
  type CheckReport,
  type CheckStats,
  type Problem,
  type ProblemKind,
  type Severity,
} from './problems.js';
export { LOST_AND_FOUND } from './repair.js';
export { ContentReclaim, reclaimOrphanedContent, type ReclaimOptions, type ReclaimResult } from './reclaim.js';
