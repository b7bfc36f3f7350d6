import { readDirpath } from './dirpath.js';
import type { MountProcedure } from './types.js';

/** MOUNTPROC3_UMNT: forget the caller's mount of dirpath (void reply, even if it had none). */
export const mountUmnt: MountProcedure = async (ctx, call, args) => {
  const dirpath = readDirpath(args);
  ctx.table.remove(call.peer.address, dirpath);
  return 'success';
};
