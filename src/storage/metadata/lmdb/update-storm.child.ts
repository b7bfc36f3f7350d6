/**
 * A child process for the crash test (lmdb-store.crash.test.ts): runs a storm
 * of create / link / rename / remove updates against the store at argv[2],
 * the way core/vfs drives a store, eight at a time, until it is killed. It prints "ops N" now
 * and then so the test can kill it in the middle of the storm.
 */
import { ROOT_ID, type FileId, type Inode } from '../../../core/types.js';
import type { MetadataWriteTx } from '../store.js';
import { LmdbMetadataStore } from './lmdb-store.js';

const STORM_DIRS: readonly FileId[] = [ROOT_ID, 2, 3, 4];

function inode(id: FileId, type: 'dir' | 'reg', over: Partial<Inode> = {}): Inode {
  const t = { sec: Math.floor(Date.now() / 1000), nsec: 0 };
  return {
    id,
    generation: 1,
    type,
    mode: type === 'dir' ? 0o755 : 0o644,
    nlink: type === 'dir' ? 2 : 1,
    uid: 0,
    gid: 0,
    size: 0,
    rdev: { major: 0, minor: 0 },
    atime: t,
    mtime: t,
    ctime: t,
    btime: t,
    change: 1,
    ...(type === 'dir' ? { nextCookie: 3, parent: ROOT_ID } : {}),
    ...over,
  };
}

let made = 0;
/** A name no earlier run of this script used (runs restart after each kill). */
function unique(): string {
  return `${process.pid}-${made++}`;
}

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)];
}

/** Hand out the directory's next cookie (RFC 1813 §3.3.16: cookies stay valid, so never reused). */
async function nextCookie(tx: MetadataWriteTx, dir: FileId): Promise<number> {
  const d = (await tx.getInode(dir))!;
  const cookie = d.nextCookie ?? 3;
  await tx.putInode({ ...d, nextCookie: cookie + 1, change: d.change + 1 });
  return cookie;
}

/** Drop one link to `id`; the inode goes with its last link. */
async function unlink(tx: MetadataWriteTx, id: FileId): Promise<void> {
  const i = (await tx.getInode(id))!;
  if (i.nlink <= 1) await tx.deleteInode(id);
  else await tx.putInode({ ...i, nlink: i.nlink - 1 });
}

async function randomEntry(tx: MetadataWriteTx, dir: FileId): Promise<{ name: string; id: FileId } | undefined> {
  const page = await tx.readdir(dir, Math.floor(Math.random() * 200), 1);
  return page[0] ?? (await tx.readdir(dir, 0, 1))[0];
}

async function main(): Promise<void> {
  const store = new LmdbMetadataStore({ path: process.argv[2] });
  await store.open({ rootInode: inode(ROOT_ID, 'dir', { nlink: 5 }) });
  await store.update(async (tx) => {
    for (const dir of STORM_DIRS.slice(1)) {
      if ((await tx.getInode(dir)) !== undefined) continue;
      await tx.putInode(inode(dir, 'dir'));
      await tx.addEntry(ROOT_ID, `d${dir}`, dir, await nextCookie(tx, ROOT_ID));
    }
  });
  const files = STORM_DIRS.slice(1);
  let ops = 0;
  // Several updates in flight at once, as a busy server has, so commits are grouped.
  const worker = async (): Promise<never> => {
    for (;;) {
      const r = Math.random();
      await store.update(async (tx) => {
        const dir = pick(files);
        if (r < 0.4) {
          const id = await tx.allocateId();
          await tx.putInode(inode(id, 'reg', { size: 100 }));
          await tx.addEntry(dir, `f${id}`, id, await nextCookie(tx, dir));
        } else if (r < 0.55) {
          const e = await randomEntry(tx, dir);
          if (e === undefined) return;
          const i = (await tx.getInode(e.id))!;
          await tx.putInode({ ...i, nlink: i.nlink + 1 });
          const to = pick(files);
          const name = `l${e.id}-${unique()}`;
          await tx.addEntry(to, name, e.id, await nextCookie(tx, to));
        } else if (r < 0.8) {
          const e = await randomEntry(tx, dir);
          if (e === undefined) return;
          const to = pick(files);
          const victim = await randomEntry(tx, to);
          // Rename over an existing name half the time, as rename(2) may.
          const name =
            victim !== undefined && victim.name !== e.name && Math.random() < 0.5 ? victim.name : `r${unique()}`;
          await tx.removeEntry(dir, e.name);
          const old = await tx.lookup(to, name);
          if (old !== undefined) {
            await tx.removeEntry(to, name);
            await unlink(tx, old.id);
          }
          await tx.addEntry(to, name, e.id, await nextCookie(tx, to));
        } else {
          const e = await randomEntry(tx, dir);
          if (e === undefined) return;
          await tx.removeEntry(dir, e.name);
          await unlink(tx, e.id);
        }
      });
      ops++;
      if (ops % 25 === 0) process.stdout.write(`ops ${ops}\n`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

void main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
