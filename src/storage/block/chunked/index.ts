export { ChunkedBlockStore, type ChunkedBlockStoreOptions } from './chunked-block-store.js';
export { FsLocalTier } from './fs-local-tier.js';
export { MemoryLocalTier } from './memory-local-tier.js';
export { MemoryRemote } from './memory-remote.js';
export type { LocalChunkTier, RemoteChunkStore } from './tiers.js';
export type { SyncerOptions } from './syncer.js';
