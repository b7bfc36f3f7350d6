export { MemoryBlockStore, MEMORY_CHUNK_SIZE } from './memory-block-store.js';
