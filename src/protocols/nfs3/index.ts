export { createNfs3Program, type Nfs3ProgramOptions } from './program.js';
export { NFS_PROGRAM, NFS_V3, Nfs3Proc, Nfs3Status } from './constants.js';
export { FS_ERROR_TO_NFS3 } from './errors.js';
