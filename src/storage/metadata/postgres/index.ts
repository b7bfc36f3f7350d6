export { PostgresMetadataStore, type PostgresMetadataStoreOptions } from './postgres-store.js';
