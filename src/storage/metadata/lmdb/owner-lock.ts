import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Environments held by this process (resolved paths). */
const held = new Set<string>();

export const OWNER_FILE = 'dfs-owner.pid';

/**
 * Make this process the only writer of the environment in `dir`. The store
 * keeps its id counter and its queue of uncommitted overlays in memory, so a
 * second writer (another server, or a second store object in this process)
 * would hand out the same ids and lose updates; LMDB alone would allow it.
 * A pid file whose process is gone (a `kill -9`) is taken over. Returns the
 * release function.
 */
export async function acquireOwner(dir: string): Promise<() => Promise<void>> {
  const abs = resolve(dir);
  if (held.has(abs)) throw new Error(`metadata store ${abs} is already open in this process`);
  await mkdir(abs, { recursive: true });
  const file = join(abs, OWNER_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      held.add(abs);
      return async () => {
        held.delete(abs);
        await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`metadata store ${abs} is in use by process ${pid}`);
      }
      // Stale: its owner died without closing the store.
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not take ownership of metadata store ${abs}`);
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
