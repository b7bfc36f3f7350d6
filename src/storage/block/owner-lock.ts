import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The owner file a block store keeps in its directory while a process has it open. */
export const BLOCK_OWNER_FILE = 'dfs-blocks-owner.pid';

/** Directories held by this process (resolved paths). */
const held = new Set<string>();

/** Thrown when another live process holds the directory; fsck and the CLI match "in use by process N". */
export class BlockStoreInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`block store ${dir} is in use by process ${pid}`);
    this.name = 'BlockStoreInUseError';
  }
}

/**
 * Make this process the only one using the block-store directory `dir`. The
 * chunked store's index and in-memory dirty buffers, and the fs store's size
 * table, assume one process; two servers with different namespaces on one
 * directory would also each see the other's content as unreferenced and
 * reclaim it. The owner file holds "pid starttime": a file whose process is
 * gone (a `kill -9`), or whose pid now belongs to a process started at another
 * time (pid reuse after a container restart), is taken over. Returns the
 * release function (idempotent).
 */
export async function acquireBlockOwner(dir: string): Promise<() => Promise<void>> {
  const abs = resolve(dir);
  if (held.has(abs)) throw new Error(`block store ${abs} is already open in this process`);
  await mkdir(abs, { recursive: true });
  const file = join(abs, BLOCK_OWNER_FILE);
  const token = `${process.pid} ${(await startTime(process.pid)) ?? 0}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    // link(2) publishes the file with its content in one step, so nobody ever
    // reads a half-written owner file and mistakes it for a stale one.
    const tmp = join(abs, `.${BLOCK_OWNER_FILE}.${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, token);
    try {
      await link(tmp, file);
      held.add(abs);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        held.delete(abs);
        // Only our own file: never remove one a later owner wrote.
        if ((await readFile(file, 'utf8').catch(() => '')) === token) await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    const seen = await readFile(file, 'utf8').catch(() => undefined);
    if (seen === undefined) continue;
    const pid = await liveOwner(seen);
    if (pid !== undefined) throw new BlockStoreInUseError(abs, pid);
    await takeOver(file, seen);
  }
  throw new Error(`could not take ownership of block store ${abs}`);
}

/** The pid of the process that wrote `content`, if it is still running; undefined when stale. */
async function liveOwner(content: string): Promise<number | undefined> {
  const [pidText, startText] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  if (!alive(pid)) return undefined;
  const recorded = Number(startText);
  const now = await startTime(pid);
  // A different start time means the pid was reused by an unrelated process.
  if (recorded > 0 && now !== undefined && now !== recorded) return undefined;
  return pid;
}

/**
 * Move a stale owner file aside, then check that what was moved is the stale
 * file and not one a concurrent opener just created (put that one back).
 */
async function takeOver(file: string, stale: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => stale);
  if (moved !== stale) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22); undefined where /proc is absent. */
async function startTime(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = Number(fields[19]);
  return Number.isFinite(v) ? v : undefined;
}
