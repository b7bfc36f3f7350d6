export { createNsmProgram, type NsmProgramOptions } from './program.js';
export { NsmService, type NsmServiceOptions, type PeerInfo, type RebootListener } from './service.js';
export { NSM_PROGRAM, NSM_V1, NsmProc, NsmRes } from './constants.js';
export * from './codec.js';
