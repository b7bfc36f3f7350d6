import { readFh } from '../codec/decode.js';
import { writePostOpAttr } from '../codec/encode.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.5 READLINK: the target of a symbolic link (INVAL for other types, from the VFS). */
export const readlinkProc: Nfs3Procedure = {
  name: 'READLINK',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      const res = await t.vfs.readlink(t.cred, t.id);
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, res.attr);
      reply.string(res.target);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'READLINK', reply, e, t);
    }
  },
};
