import { readFh, readU64 } from '../codec/decode.js';
import { writeWccData } from '../codec/encode.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithWcc } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/**
 * RFC 1813 §3.3.21 COMMIT: make earlier unstable writes durable. The whole
 * file is committed whatever offset/count say (allowed: "the server may
 * flush more"). The reply repeats the WRITE verifier.
 */
export const commitProc: Nfs3Procedure = {
  name: 'COMMIT',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    readU64(args);
    args.uint32();
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      const wcc = await t.vfs.commit(t.cred, t.id);
      reply.uint32(Nfs3Status.OK);
      writeWccData(reply, t.fsid, wcc);
      reply.fixedOpaque(ctx.writeVerifier);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithWcc(ctx, 'COMMIT', reply, e, t);
    }
  },
};
