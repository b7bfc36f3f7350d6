import { runBlockStoreConformance } from '../conformance.js';
import { MemoryBlockStore } from './memory-block-store.js';

runBlockStoreConformance('memory', async () => new MemoryBlockStore());
