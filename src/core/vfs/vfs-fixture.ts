import { MemoryBlockStore } from '../../storage/block/memory/memory-block-store.js';
import { MemoryMetadataStore } from '../../storage/metadata/memory/memory-store.js';
import type { Credentials, Timespec } from '../types.js';
import { Vfs, type VfsCreateOptions } from './vfs.js';

/** Test clock: every reading is one second after the previous one, so each operation has its own time. */
export class StepClock {
  private sec = 1_800_000_000;
  readonly now = (): Timespec => ({ sec: ++this.sec, nsec: 500 });
  advance(seconds: number): void {
    this.sec += seconds;
  }
}

export const ROOT: Credentials = { uid: 0, gid: 0, gids: [] };
/** alice: uid 1000, primary group 1000, also in group 50 ("staff"). */
export const ALICE: Credentials = { uid: 1000, gid: 1000, gids: [1000, 50] };
/** bob: uid 1001, primary group 1001, also in group 50 ("staff"). */
export const BOB: Credentials = { uid: 1001, gid: 1001, gids: [50] };
/** eve: in no group anyone uses. */
export const EVE: Credentials = { uid: 1002, gid: 1002, gids: [] };
export const STAFF = 50;

export interface Fixture {
  vfs: Vfs;
  meta: MemoryMetadataStore;
  blocks: MemoryBlockStore;
  clock: StepClock;
}

/** A VFS over memory stores with a world-writable root (mode 0777, owned by root). */
export async function makeVfs(opts: Partial<VfsCreateOptions> = {}): Promise<Fixture> {
  const meta = new MemoryMetadataStore();
  const blocks = new MemoryBlockStore();
  const clock = new StepClock();
  const vfs = await Vfs.create({ shareId: 3, meta, blocks, clock: clock.now, rootMode: 0o777, ...opts });
  return { vfs, meta, blocks, clock };
}

/** 'OK' when `p` resolves, else the FsError code it rejected with: lets tests compare outcomes in one expect. */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
