import { randomInt } from 'node:crypto';
import type { BlockStore } from '../../storage/block/store.js';
import type { MetadataStore, MetadataWriteTx } from '../../storage/metadata/store.js';
import { ROOT_ID, type FileId, type Inode, type Timespec } from '../types.js';
import { FIRST_COOKIE } from '../vfs/vfs.js';
import type { Problem, ProblemKind } from './problems.js';
import type { Scan } from './scan.js';

/** Where reattached inodes go, in the share root (as e2fsck's /lost+found). */
export const LOST_AND_FOUND = 'lost+found';

/**
 * Repair rounds, in order. Each round fixes one class of problem and the
 * checker rescans before the next, because fixing structure changes the
 * counts: a removed dangling entry or a reattached directory changes nlinks.
 */
export const REPAIR_ROUNDS: readonly (readonly ProblemKind[])[] = [
  // First: later rounds delete content, which must move correct reference counts.
  ['block-store-index'],
  ['dangling-entry', 'cookie-not-below-next'],
  ['unreachable-directory', 'multiply-linked-directory'],
  ['wrong-parent'],
  ['orphan-inode'],
  ['wrong-nlink'],
  ['unreferenced-content'],
];

export interface RepairContext {
  meta: MetadataStore;
  blocks?: BlockStore;
  scan: Scan;
  now: () => Timespec;
}

/** Fix the given problems (all from one round of {@link REPAIR_ROUNDS}); sets `repair` on each one fixed. */
export async function repairProblems(ctx: RepairContext, problems: Problem[]): Promise<number> {
  if (problems.some((p) => p.kind === 'block-store-index')) return repairStoreIndex(ctx, problems);
  let done = 0;
  const covered = new Set<FileId>();
  // Lowest ids first, so that repairs (and lost+found names) are deterministic.
  const ordered = [...problems].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  for (const p of ordered) {
    const what = await repairOne(ctx, p, covered);
    if (what !== undefined) {
      p.repair = what;
      done++;
    }
  }
  return done;
}

/** The block store repairs its own bookkeeping in one go; each problem gets what was done about its subject. */
async function repairStoreIndex(ctx: RepairContext, problems: Problem[]): Promise<number> {
  if (ctx.blocks?.checkIntegrity === undefined) return 0;
  const fixed = new Map<string, string>();
  for (const i of await ctx.blocks.checkIntegrity({ repair: true })) {
    if (i.repair !== undefined) fixed.set(`${i.kind}:${i.subject}`, i.repair);
  }
  let done = 0;
  for (const p of problems) {
    const what = fixed.get(`${p.storeKind}:${p.subject}`);
    if (what === undefined) continue;
    p.repair = what;
    done++;
  }
  return done;
}

async function repairOne(ctx: RepairContext, p: Problem, covered: Set<FileId>): Promise<string | undefined> {
  const { meta, scan } = ctx;
  switch (p.kind) {
    case 'dangling-entry':
      return meta.update(async (tx) => {
        const e = await tx.lookup(p.dir!, p.name!);
        if (e === undefined || e.id !== p.id || (await tx.getInode(e.id)) !== undefined) return undefined;
        await tx.removeEntry(p.dir!, p.name!);
        return 'removed the entry';
      });
    case 'cookie-not-below-next':
      return meta.update(async (tx) => {
        const d = await tx.getInode(p.dir!);
        if (d === undefined || (d.nextCookie ?? FIRST_COOKIE) >= p.expected!) return undefined;
        await tx.putInode({ ...d, nextCookie: p.expected! });
        return `set nextCookie to ${p.expected}`;
      });
    case 'unreachable-directory': {
      if (covered.has(p.id!)) return 'reachable again through a reattached directory';
      const holders = scan.holders.get(p.id!) ?? [];
      const what = await meta.update(async (tx) => {
        // Every holder is itself unreachable (else this directory would be reachable): cut them, then reattach.
        for (const h of holders) {
          const e = await tx.lookup(h.dir, h.name);
          if (e?.id === p.id) await tx.removeEntry(h.dir, h.name);
        }
        return reattach(tx, ctx, p.id!);
      });
      // Its subtree comes along: those directories need no reattaching of their own.
      const queue = [p.id!];
      while (queue.length > 0) {
        const d = queue.pop()!;
        if (covered.has(d)) continue;
        covered.add(d);
        queue.push(...(scan.childDirs.get(d) ?? []));
      }
      return what;
    }
    case 'multiply-linked-directory':
      return meta.update(async (tx) => {
        const d = await tx.getInode(p.id!);
        if (d === undefined) return undefined;
        const holders = (scan.holders.get(p.id!) ?? []).filter((h) => scan.reachable.has(h.dir));
        // Keep the entry in the directory that '..' names, else the first; the root keeps none.
        const keep = p.id === ROOT_ID ? undefined : (holders.find((h) => h.dir === d.parent) ?? holders[0]);
        const removed: string[] = [];
        for (const h of scan.holders.get(p.id!) ?? []) {
          if (h === keep) continue;
          const e = await tx.lookup(h.dir, h.name);
          if (e?.id !== p.id) continue;
          await tx.removeEntry(h.dir, h.name);
          removed.push(`${h.dir}/"${h.name}"`);
        }
        return removed.length === 0 ? undefined : `removed the extra entries ${removed.join(', ')}`;
      });
    case 'wrong-parent':
      return meta.update(async (tx) => {
        const d = await tx.getInode(p.id!);
        if (d === undefined) return undefined;
        await tx.putInode({ ...d, parent: p.expected! });
        return `set parent to ${p.expected}`;
      });
    case 'orphan-inode':
      return repairOrphan(ctx, p.id!);
    case 'wrong-nlink':
      return meta.update(async (tx) => {
        const i = await tx.getInode(p.id!);
        if (i === undefined || i.nlink !== p.actual) return undefined;
        await tx.putInode({ ...i, nlink: p.expected! });
        return `set nlink to ${p.expected}`;
      });
    case 'unreferenced-content':
      if (ctx.blocks === undefined) return undefined;
      await ctx.blocks.delete(p.contentId!);
      return 'deleted the content';
    case 'missing-root':
    case 'block-store-index':
      return undefined;
  }
}

/**
 * An inode no entry names. One with nlink 0, or an empty regular file,
 * holds nothing anyone could want: it is deleted with its content. Anything
 * else (data, a symlink target, a device) is kept in lost+found, as e2fsck
 * does.
 */
async function repairOrphan(ctx: RepairContext, id: FileId): Promise<string | undefined> {
  let dropContent: string | undefined;
  const what = await ctx.meta.update(async (tx) => {
    const i = await tx.getInode(id);
    if (i === undefined) return undefined;
    if (i.nlink === 0 || (i.type === 'reg' && i.size === 0)) {
      await tx.deleteInode(id);
      dropContent = i.contentId;
      return `deleted (nlink ${i.nlink}, size ${i.size})`;
    }
    return reattach(tx, ctx, id);
  });
  if (dropContent !== undefined) await ctx.blocks?.delete(dropContent);
  return what;
}

/** Link inode `id` into lost+found as "#<id>" and make its counts agree with that one entry. */
async function reattach(tx: MetadataWriteTx, ctx: RepairContext, id: FileId): Promise<string | undefined> {
  const child = await tx.getInode(id);
  if (child === undefined) return undefined;
  let lf = await lostAndFound(tx, ctx);
  const name = `#${id}`;
  const cookie = lf.nextCookie ?? FIRST_COOKIE;
  await tx.addEntry(lf.id, name, id, cookie);
  const isDir = child.type === 'dir';
  lf = {
    ...lf,
    nextCookie: cookie + 1,
    nlink: lf.nlink + (isDir ? 1 : 0),
    mtime: ctx.now(),
    ctime: ctx.now(),
    change: lf.change + 1,
  };
  await tx.putInode(lf);
  await tx.putInode(isDir ? { ...child, parent: lf.id } : { ...child, nlink: 1 });
  return `moved to /${LOST_AND_FOUND}/${name}`;
}

async function lostAndFound(tx: MetadataWriteTx, ctx: RepairContext): Promise<Inode> {
  const e = await tx.lookup(ROOT_ID, LOST_AND_FOUND);
  if (e !== undefined) {
    const lf = await tx.getInode(e.id);
    if (lf?.type !== 'dir')
      throw new Error(`/${LOST_AND_FOUND} exists and is not a directory: rename it and run the repair again`);
    return lf;
  }
  const root = await tx.getInode(ROOT_ID);
  if (root === undefined) throw new Error('the root directory is missing');
  const now = ctx.now();
  const lf: Inode = {
    id: await tx.allocateId(),
    generation: randomInt(1, 0x1_0000_0000),
    type: 'dir',
    // Only root may look at what was found: it can belong to anyone.
    mode: 0o700,
    nlink: 2,
    uid: 0,
    gid: 0,
    size: 4096,
    rdev: { major: 0, minor: 0 },
    atime: now,
    mtime: now,
    ctime: now,
    btime: now,
    change: 1,
    nextCookie: FIRST_COOKIE,
    parent: ROOT_ID,
  };
  await tx.putInode(lf);
  const cookie = root.nextCookie ?? FIRST_COOKIE;
  await tx.addEntry(ROOT_ID, LOST_AND_FOUND, lf.id, cookie);
  await tx.putInode({
    ...root,
    nlink: root.nlink + 1,
    nextCookie: cookie + 1,
    mtime: now,
    ctime: now,
    change: root.change + 1,
  });
  return lf;
}
