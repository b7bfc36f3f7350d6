import { MemoryMetadataStore } from './memory-store.js';
import { runMetadataStoreConformance } from '../conformance.js';

runMetadataStoreConformance('memory', async () => new MemoryMetadataStore());
