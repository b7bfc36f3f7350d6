import type { MountProcedure } from './types.js';

/** MOUNTPROC3_DUMP: the mount list as a linked list of (hostname, directory). */
export const mountDump: MountProcedure = async (ctx, _call, _args, reply) => {
  for (const m of ctx.table.entries()) {
    reply.uint32(1);
    reply.string(m.host);
    reply.string(m.dirpath);
  }
  reply.uint32(0);
  return 'success';
};
