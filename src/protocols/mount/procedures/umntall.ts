import type { MountProcedure } from './types.js';

/** MOUNTPROC3_UMNTALL: forget every mount of the calling host. */
export const mountUmntall: MountProcedure = async (ctx, call) => {
  ctx.table.removeHost(call.peer.address);
  return 'success';
};
