import type { MountProcedure } from './types.js';

/**
 * MOUNTPROC3_EXPORT: every export with its groups, here the allowedClients
 * entries (an empty list means "everyone", as in showmount -e).
 */
export const mountExport: MountProcedure = async (ctx, _call, _args, reply) => {
  for (const share of ctx.shares.list()) {
    reply.uint32(1);
    reply.string(share.name);
    for (const group of share.options.allowedClients) {
      reply.uint32(1);
      reply.string(group);
    }
    reply.uint32(0);
  }
  reply.uint32(0);
  return 'success';
};
