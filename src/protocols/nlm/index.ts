export { createNlmProgram, type NlmProgram, type NlmProgramOptions } from './program.js';
export { NLM_PROGRAM, NLM_V1, NLM_V3, NLM_V4, NlmProc, NlmStatus, FshAccess, FshMode } from './constants.js';
export type { MonitoredClient } from './context.js';
export * from './codec/types.js';
export * from './codec/decode.js';
export * from './codec/encode.js';
