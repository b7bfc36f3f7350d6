import { readFh } from '../codec/decode.js';
import { writeFattr3 } from '../codec/encode.js';
import { Nfs3Status } from '../constants.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.1 GETATTR: the attributes read while resolving the handle are the answer. */
export const getattrProc: Nfs3Procedure = {
  name: 'GETATTR',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    try {
      const t = await ctx.resolve(call, fh);
      reply.uint32(Nfs3Status.OK);
      writeFattr3(reply, t.fsid, t.attr);
      return Nfs3Status.OK;
    } catch (e) {
      const st = ctx.statusOf(e, 'GETATTR');
      reply.uint32(st);
      return st;
    }
  },
};
