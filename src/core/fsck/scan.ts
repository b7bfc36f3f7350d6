import type { BlockStore, BlockStoreIssue } from '../../storage/block/store.js';
import type { MetadataReadTx, MetadataStore } from '../../storage/metadata/store.js';
import { ROOT_ID, type FileId, type FileType } from '../types.js';
import { SEVERITY, type Problem, type ProblemKind } from './problems.js';

/** The fields of an inode the checker needs (kept small: one per inode of the share). */
export interface InodeSummary {
  id: FileId;
  type: FileType;
  nlink: number;
  size: number;
  parent?: FileId;
  nextCookie?: number;
  contentId?: string;
}

export interface EntryRef {
  dir: FileId;
  name: string;
}

/**
 * Everything one scan learnt, organised as e2fsck's passes are: every inode
 * (pass 1), every entry of every directory inode (pass 2), connectivity from
 * the root (pass 3), reference counts (pass 4), and the block store's content.
 */
export interface Scan {
  inodes: Map<FileId, InodeSummary>;
  /** Entries naming each existing inode. */
  refs: Map<FileId, number>;
  /** For directories: the entries naming them. */
  holders: Map<FileId, EntryRef[]>;
  /** For directories: the directories their entries name. */
  childDirs: Map<FileId, FileId[]>;
  reachable: Set<FileId>;
  /** Content ids in the block store that no inode references. */
  unreferencedContent: string[];
  contentChecked: boolean;
  entries: number;
  contents: number;
  problems: Problem[];
}

const PAGE = 1000;

function problem(
  kind: ProblemKind,
  message: string,
  extra: Omit<Problem, 'kind' | 'severity' | 'message'> = {},
): Problem {
  return { kind, severity: SEVERITY[kind], message, ...extra };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [v]);
  else l.push(v);
}

/** Read the whole namespace in one snapshot (a single `view`), then the block store's content ids. */
export async function scanStores(meta: MetadataStore, blocks?: BlockStore): Promise<Scan> {
  const scan: Scan = {
    inodes: new Map(),
    refs: new Map(),
    holders: new Map(),
    childDirs: new Map(),
    reachable: new Set(),
    unreferencedContent: [],
    contentChecked: false,
    entries: 0,
    contents: 0,
    problems: [],
  };
  await meta.view(async (tx) => {
    await readInodes(tx, scan);
    await readEntries(tx, scan);
  });
  if (!checkRoot(scan)) return scan;
  walkFromRoot(scan);
  checkDirectories(scan);
  checkLinks(scan);
  if (blocks?.listContent !== undefined) await checkContent(blocks, scan);
  if (blocks?.checkIntegrity !== undefined) {
    for (const i of await blocks.checkIntegrity({ repair: false })) scan.problems.push(storeProblem(i));
  }
  return scan;
}

async function readInodes(tx: MetadataReadTx, scan: Scan): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await tx.listInodes(after, PAGE);
    for (const i of page) {
      const s: InodeSummary = { id: i.id, type: i.type, nlink: i.nlink, size: i.size };
      if (i.parent !== undefined) s.parent = i.parent;
      if (i.nextCookie !== undefined) s.nextCookie = i.nextCookie;
      if (i.contentId !== undefined) s.contentId = i.contentId;
      scan.inodes.set(i.id, s);
    }
    if (page.length === 0) return;
    after = page[page.length - 1].id;
  }
}

/** Every entry of every directory inode, reachable or not (so files inside a detached directory are not orphans). */
async function readEntries(tx: MetadataReadTx, scan: Scan): Promise<void> {
  for (const d of scan.inodes.values()) {
    if (d.type !== 'dir') continue;
    let cookie = 0;
    for (;;) {
      const page = await tx.readdir(d.id, cookie, PAGE);
      for (const e of page) {
        scan.entries++;
        if (d.nextCookie !== undefined && e.cookie >= d.nextCookie) {
          scan.problems.push(
            problem(
              'cookie-not-below-next',
              `entry "${e.name}" in directory ${d.id} has cookie ${e.cookie}, not below nextCookie ${d.nextCookie}`,
              {
                id: d.id,
                dir: d.id,
                name: e.name,
                expected: e.cookie + 1,
                actual: d.nextCookie,
              },
            ),
          );
        }
        const child = scan.inodes.get(e.id);
        if (child === undefined) {
          scan.problems.push(
            problem(
              'dangling-entry',
              `entry "${e.name}" in directory ${d.id} names inode ${e.id}, which does not exist`,
              {
                id: e.id,
                dir: d.id,
                name: e.name,
              },
            ),
          );
          continue;
        }
        scan.refs.set(e.id, (scan.refs.get(e.id) ?? 0) + 1);
        if (child.type === 'dir') {
          push(scan.holders, e.id, { dir: d.id, name: e.name });
          push(scan.childDirs, d.id, e.id);
        }
      }
      if (page.length === 0) break;
      cookie = page[page.length - 1].cookie;
    }
  }
}

function checkRoot(scan: Scan): boolean {
  const root = scan.inodes.get(ROOT_ID);
  if (root !== undefined && root.type === 'dir') return true;
  scan.problems.push(
    problem(
      'missing-root',
      root === undefined
        ? 'the root directory (inode 1) is missing'
        : `the root (inode 1) is a ${root.type}, not a directory`,
      {
        id: ROOT_ID,
      },
    ),
  );
  return false;
}

/** Pass 3: directories reachable from the root through entries. */
function walkFromRoot(scan: Scan): void {
  const queue: FileId[] = [ROOT_ID];
  scan.reachable.add(ROOT_ID);
  while (queue.length > 0) {
    const d = queue.pop()!;
    for (const c of scan.childDirs.get(d) ?? []) {
      if (scan.reachable.has(c)) continue;
      scan.reachable.add(c);
      queue.push(c);
    }
  }
}

function checkDirectories(scan: Scan): void {
  for (const d of scan.inodes.values()) {
    if (d.type !== 'dir') continue;
    const holders = scan.holders.get(d.id) ?? [];
    if (!scan.reachable.has(d.id)) {
      scan.problems.push(
        problem(
          'unreachable-directory',
          holders.length === 0
            ? `directory ${d.id} is named by no entry`
            : `directory ${d.id} is not reachable from the root (named only from unreachable directories: a cycle or a detached subtree)`,
          { id: d.id },
        ),
      );
      continue;
    }
    if (d.id === ROOT_ID ? holders.length > 0 : holders.length > 1) {
      scan.problems.push(
        problem(
          'multiply-linked-directory',
          `directory ${d.id} is named by ${holders.length} entries: ${holders.map((h) => `${h.dir}/"${h.name}"`).join(', ')}`,
          {
            id: d.id,
            actual: holders.length,
            expected: d.id === ROOT_ID ? 0 : 1,
          },
        ),
      );
    }
    const expectedParent = d.id === ROOT_ID ? ROOT_ID : holders.length === 1 ? holders[0].dir : undefined;
    if (expectedParent !== undefined && d.parent !== expectedParent) {
      scan.problems.push(
        problem(
          'wrong-parent',
          `directory ${d.id} says its parent is ${d.parent ?? 'unset'}, but it is held by directory ${expectedParent}`,
          {
            id: d.id,
            expected: expectedParent,
            actual: d.parent ?? -1,
          },
        ),
      );
    }
  }
}

/** Pass 4: link counts, and inodes nothing names. */
function checkLinks(scan: Scan): void {
  for (const i of scan.inodes.values()) {
    if (i.type === 'dir') {
      // Unreachable directories get their nlink checked once reattached.
      if (!scan.reachable.has(i.id)) continue;
      const expected = 2 + (scan.childDirs.get(i.id)?.length ?? 0);
      if (i.nlink !== expected) {
        scan.problems.push(
          problem('wrong-nlink', `directory ${i.id} has nlink ${i.nlink}, expected ${expected} (2 + subdirectories)`, {
            id: i.id,
            expected,
            actual: i.nlink,
          }),
        );
      }
      continue;
    }
    const refs = scan.refs.get(i.id) ?? 0;
    if (refs === 0) {
      scan.problems.push(
        problem('orphan-inode', `${i.type} inode ${i.id} (nlink ${i.nlink}, size ${i.size}) is named by no entry`, {
          id: i.id,
          actual: i.nlink,
        }),
      );
    } else if (i.nlink !== refs) {
      scan.problems.push(
        problem('wrong-nlink', `${i.type} inode ${i.id} has nlink ${i.nlink}, but ${refs} entries name it`, {
          id: i.id,
          expected: refs,
          actual: i.nlink,
        }),
      );
    }
  }
}

async function checkContent(blocks: BlockStore, scan: Scan): Promise<void> {
  const referenced = new Set<string>();
  for (const i of scan.inodes.values()) if (i.contentId !== undefined) referenced.add(i.contentId);
  scan.contentChecked = true;
  for await (const id of blocks.listContent!()) {
    scan.contents++;
    if (referenced.has(id)) continue;
    scan.unreferencedContent.push(id);
    scan.problems.push(
      problem('unreferenced-content', `content ${id} is referenced by no inode (reclaimable space)`, { contentId: id }),
    );
  }
}

/** A block store's own inconsistency, with the store's severity. */
export function storeProblem(i: BlockStoreIssue): Problem {
  const p: Problem = {
    kind: 'block-store-index',
    severity: i.severity,
    message: i.message,
    storeKind: i.kind,
    subject: i.subject,
  };
  if (i.repair !== undefined) p.repair = i.repair;
  return p;
}
