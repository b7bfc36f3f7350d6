import { readFh } from '../codec/decode.js';
import { writePostOpAttr } from '../codec/encode.js';
import { DEFAULT_MAX_NAME_BYTES } from '../../../core/vfs/names.js';
import { NFS3_LINK_MAX, Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/**
 * RFC 1813 §3.3.20 PATHCONF: long names are refused, not truncated; only
 * root may chown; names are case-sensitive and stored as given.
 */
export const pathconfProc: Nfs3Procedure = {
  name: 'PATHCONF',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, t.attr);
      reply.uint32(NFS3_LINK_MAX);
      reply.uint32(DEFAULT_MAX_NAME_BYTES);
      reply.bool(true); // no_trunc
      reply.bool(true); // chown_restricted
      reply.bool(false); // case_insensitive
      reply.bool(true); // case_preserving
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'PATHCONF', reply, e, t);
    }
  },
};
