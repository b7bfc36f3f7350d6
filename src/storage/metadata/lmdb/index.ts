export { LmdbMetadataStore, type LmdbMetadataStoreOptions } from './lmdb-store.js';
