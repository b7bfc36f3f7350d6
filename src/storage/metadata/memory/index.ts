export { MemoryMetadataStore } from './memory-store.js';
