export { FsBlockStore, type FsBlockStoreOptions } from './fs-block-store.js';
export { validateContentId } from './content-path.js';
