import { mkdir } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import { FsBlockStore } from '../storage/block/fs/index.js';
import { MemoryBlockStore } from '../storage/block/memory/index.js';
import type { BlockStore } from '../storage/block/store.js';
import { LmdbMetadataStore } from '../storage/metadata/lmdb/index.js';
import { MemoryMetadataStore } from '../storage/metadata/memory/index.js';
import type { MetadataStore } from '../storage/metadata/store.js';
import type { ShareConfig } from './config.js';

export interface ShareStores {
  meta: MetadataStore;
  blocks: BlockStore;
}

/**
 * Build (not open) the metadata and block stores a share's configuration
 * names, creating their directories. Shared by the Runtime and by offline
 * tools (`dfs fsck`) so both always read the same stores.
 */
export async function openShareStores(sc: ShareConfig, logger: Logger): Promise<ShareStores> {
  let blocks: BlockStore;
  if (sc.blocks.type === 'fs') {
    await mkdir(sc.blocks.path, { recursive: true });
    blocks = new FsBlockStore({ root: sc.blocks.path, logger: logger.child({ share: sc.name, store: 'fs' }) });
  } else {
    blocks = new MemoryBlockStore();
  }
  let meta: MetadataStore;
  if (sc.metadata.type === 'lmdb') {
    await mkdir(sc.metadata.path, { recursive: true });
    meta = new LmdbMetadataStore({ path: sc.metadata.path, logger: logger.child({ share: sc.name, store: 'lmdb' }) });
  } else {
    meta = new MemoryMetadataStore();
  }
  return { meta, blocks };
}
