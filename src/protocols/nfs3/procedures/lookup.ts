import { readDirOpArgs } from '../codec/decode.js';
import { writePostOpAttr } from '../codec/encode.js';
import { toFileName } from '../codec/names.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/**
 * RFC 1813 §3.3.3 LOOKUP: handle and attributes of the object, plus the
 * directory's attributes on success and failure alike (clients use them to
 * revalidate their dentry caches).
 */
export const lookupProc: Nfs3Procedure = {
  name: 'LOOKUP',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const what = readDirOpArgs(args);
    let d: Target | undefined;
    try {
      d = await ctx.resolve(call, what.dir);
      const obj = await d.vfs.lookup(d.cred, d.id, toFileName(what.name));
      reply.uint32(Nfs3Status.OK);
      reply.opaque(ctx.handleOf(d, obj));
      writePostOpAttr(reply, d.fsid, obj);
      writePostOpAttr(reply, d.fsid, d.attr);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'LOOKUP', reply, e, d);
    }
  },
};
