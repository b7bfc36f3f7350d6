export * from './api.js';
export { UnifiedLockManager } from './lock-manager.js';

import type { LockManager, LockManagerOptions } from './api.js';
import { UnifiedLockManager } from './lock-manager.js';

/** One lock manager per share (DESIGN.md "Unified lock manager"). */
export function createLockManager(opts: LockManagerOptions = {}): LockManager {
  return new UnifiedLockManager(opts);
}
