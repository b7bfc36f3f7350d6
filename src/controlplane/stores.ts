import { mkdir, readdir, rm } from 'node:fs/promises';
import { BLOCK_OWNER_FILE, acquireBlockOwner } from '../storage/block/owner-lock.js';
import type { Logger } from '../observability/logger.js';
import { ChunkedBlockStore, FsLocalTier } from '../storage/block/chunked/index.js';
import { FsBlockStore } from '../storage/block/fs/index.js';
import { S3Remote } from '../storage/block/s3/index.js';
import { join } from 'node:path';
import { MemoryBlockStore } from '../storage/block/memory/index.js';
import type { BlockStore } from '../storage/block/store.js';
import { LmdbMetadataStore } from '../storage/metadata/lmdb/index.js';
import { MemoryMetadataStore } from '../storage/metadata/memory/index.js';
import { PostgresMetadataStore } from '../storage/metadata/postgres/index.js';
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
    blocks = new FsBlockStore({
      root: sc.blocks.path,
      // Servers sharing a PostgreSQL namespace may share the content directory too.
      shared: sc.metadata.type === 'postgres',
      logger: logger.child({ share: sc.name, store: 'fs' }),
    });
  } else if (sc.blocks.type === 'tiered' || sc.blocks.type === 's3') {
    const b = sc.blocks;
    await mkdir(b.path, { recursive: true });
    const s3 = b.s3;
    blocks = new ChunkedBlockStore({
      dir: b.path,
      local: new FsLocalTier(join(b.path, 'local')),
      remote:
        s3 === undefined
          ? undefined
          : new S3Remote({
              bucket: s3.bucket,
              prefix: s3.prefix,
              endpoint: s3.endpoint,
              region: s3.region,
              forcePathStyle: s3.forcePathStyle,
              credentials:
                s3.accessKeyId !== undefined && s3.secretAccessKey !== undefined
                  ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
                  : undefined,
            }),
      chunkSize: b.chunkSize,
      durability: sc.durability,
      localBudgetBytes: b.localBudgetBytes,
      logger: logger.child({ share: sc.name, store: b.type }),
    });
  } else {
    blocks = new MemoryBlockStore();
  }
  let meta: MetadataStore;
  if (sc.metadata.type === 'lmdb') {
    await mkdir(sc.metadata.path, { recursive: true });
    meta = new LmdbMetadataStore({ path: sc.metadata.path, logger: logger.child({ share: sc.name, store: 'lmdb' }) });
  } else if (sc.metadata.type === 'postgres') {
    meta = new PostgresMetadataStore({
      connectionString: sc.metadata.url,
      schema: sc.metadata.schema,
      share: sc.metadata.shareKey,
      poolSize: sc.metadata.poolSize,
      logger: logger.child({ share: sc.name, store: 'postgres' }),
    });
  } else {
    meta = new MemoryMetadataStore();
  }
  return { meta, blocks };
}

/**
 * Empty a block directory whose namespace is gone (an fs store under memory
 * metadata: content of an earlier run can never be referenced again). The
 * directory's owner file is taken first, so a directory that a live process
 * serves is refused (BlockStoreInUseError), never wiped under it.
 */
export async function emptyBlockDirectory(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const release = await acquireBlockOwner(dir);
  try {
    for (const name of entries) {
      if (name !== BLOCK_OWNER_FILE) await rm(join(dir, name), { recursive: true, force: true });
    }
  } finally {
    await release();
  }
}
