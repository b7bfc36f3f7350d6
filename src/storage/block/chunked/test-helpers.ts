import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkedBlockStore, type ChunkedBlockStoreOptions } from './chunked-block-store.js';
import { FsLocalTier } from './fs-local-tier.js';
import { MemoryRemote } from './memory-remote.js';

/** Test fixture: a chunked store on a temp dir with an fs local tier and a shared memory remote. */
export async function makeStore(opts: Partial<ChunkedBlockStoreOptions> & { remote?: MemoryRemote } = {}): Promise<{
  store: ChunkedBlockStore;
  remote: MemoryRemote;
  dir: string;
  reopen: (o?: Partial<ChunkedBlockStoreOptions>) => Promise<ChunkedBlockStore>;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-chunked-t-'));
  const remote = opts.remote ?? new MemoryRemote();
  const build = (o: Partial<ChunkedBlockStoreOptions> = {}): ChunkedBlockStore =>
    new ChunkedBlockStore({
      dir,
      local: new FsLocalTier(join(dir, 'local')),
      chunkSize: 16_384,
      gcIntervalMs: 0,
      flushIntervalMs: 0,
      syncer: { retryBaseMs: 10, retryMaxMs: 50 },
      ...opts,
      ...o,
      remote,
    });
  const store = build();
  await store.open();
  return {
    store,
    remote,
    dir,
    reopen: async (o) => {
      const s = build(o);
      await s.open();
      return s;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
