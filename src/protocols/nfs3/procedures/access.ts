import { ACCESS_DELETE, ACCESS_EXTEND, ACCESS_MODIFY } from '../../../core/vfs/api.js';
import { readFh } from '../codec/decode.js';
import { writePostOpAttr } from '../codec/encode.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

const WRITE_BITS = ACCESS_MODIFY | ACCESS_EXTEND | ACCESS_DELETE;

/**
 * RFC 1813 §3.3.4 ACCESS: which of the requested rights the caller's
 * (squashed) credentials hold. On a read-only export the modifying rights
 * are never granted, whatever the mode bits say.
 */
export const accessProc: Nfs3Procedure = {
  name: 'ACCESS',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    const requested = args.uint32();
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      const res = await t.vfs.access(t.cred, t.id, requested);
      let granted = res.granted & requested;
      if (t.share.options.readOnly || t.vfs.readOnly || t.access === 'read') granted &= ~WRITE_BITS;
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, res.attr);
      reply.uint32(granted);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'ACCESS', reply, e, t);
    }
  },
};
