import type { FileId } from '../types.js';

/**
 * What the consistency checker reports. Each kind names one invariant that
 * core/vfs keeps in every committed transaction, so a kind showing up means a
 * crash between two commits that should have been one, a store bug, or an
 * edit made outside the server.
 */
export type ProblemKind =
  /** The root inode is missing or not a directory: nothing else can be checked. */
  | 'missing-root'
  /** A directory entry names an inode that does not exist. */
  | 'dangling-entry'
  /** An entry's cookie is not below its directory's nextCookie, so a later entry could reuse it. */
  | 'cookie-not-below-next'
  /** A directory is named by more than one entry (or the root by any): hard links to directories are not allowed. */
  | 'multiply-linked-directory'
  /** A directory that no path from the root reaches (detached, or part of a cycle). */
  | 'unreachable-directory'
  /** A directory's `parent` ('..') is not the directory whose entry holds it. */
  | 'wrong-parent'
  /** nlink differs from the entries naming the inode (for a directory: 2 + its subdirectories). */
  | 'wrong-nlink'
  /** A non-directory inode that no entry names. */
  | 'orphan-inode'
  /** Content in the block store that no inode references (space only: the VFS deletes content after its metadata commit). */
  | 'unreferenced-content'
  /**
   * The block store's own bookkeeping disagrees with itself (BlockStore.checkIntegrity), e.g. a
   * chunk's reference count against the chunk map. Its severity comes from the store: an error
   * when data could be lost (too few references), a warning when only space is kept.
   */
  | 'block-store-index';

/** 'error': the namespace is wrong; 'warning': only space is wasted (safe to reclaim, nothing reads it). */
export type Severity = 'error' | 'warning';

export const SEVERITY: Readonly<Record<ProblemKind, Severity>> = {
  'missing-root': 'error',
  'dangling-entry': 'error',
  'cookie-not-below-next': 'error',
  'multiply-linked-directory': 'error',
  'unreachable-directory': 'error',
  'wrong-parent': 'error',
  'wrong-nlink': 'error',
  'orphan-inode': 'error',
  'unreferenced-content': 'warning',
  'block-store-index': 'error',
};

export interface Problem {
  kind: ProblemKind;
  severity: Severity;
  /** One line for people. */
  message: string;
  /** The inode concerned. */
  id?: FileId;
  /** The directory entry concerned (dangling entries, extra links). */
  dir?: FileId;
  name?: string;
  expected?: number;
  actual?: number;
  contentId?: string;
  /** block-store-index: the store's own kind (e.g. 'chunk-refcount-low') and what it is about (a chunk hash). */
  storeKind?: string;
  subject?: string;
  /** With --repair: what was done about it. */
  repair?: string;
}

export interface CheckStats {
  inodes: number;
  directories: number;
  entries: number;
  /** Content ids listed in the block store (0 when it cannot list). */
  contents: number;
  /** Scans run (1 without repair; repair rescans after each round of fixes). */
  passes: number;
  elapsedMs: number;
}

export interface CheckReport {
  /** Problems found by the first scan (with `repair` set on those that were fixed). */
  found: Problem[];
  /** Problems the last scan still sees (equal to `found` without repair). */
  remaining: Problem[];
  /** Number of repairs applied. */
  repaired: number;
  stats: CheckStats;
  /** False when the block store cannot list its content, so unreferenced content was not checked. */
  contentChecked: boolean;
}

/** True when no error-severity problem remains (warnings alone leave a store clean). */
export function isClean(report: CheckReport): boolean {
  return !report.remaining.some((p) => p.severity === 'error');
}
