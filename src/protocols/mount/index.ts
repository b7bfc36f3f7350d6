export { createMountProgram, type MountProgramOptions } from './program.js';
export { MOUNT_PROGRAM, MOUNT_V3, MountProc, MountStat3 } from './constants.js';
export { isClientAllowed, isPortAllowed } from './client-policy.js';
