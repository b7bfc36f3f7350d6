import { readDirOpArgs, readSattr3 } from '../codec/decode.js';
import { toFileName } from '../codec/names.js';
import type { Target } from '../context.js';
import { failWithWcc, replyCreated } from './replies.js';
import { checkSetAttrs } from './setattr.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.9 MKDIR. */
export const mkdirProc: Nfs3Procedure = {
  name: 'MKDIR',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const where = readDirOpArgs(args);
    const set = readSattr3(args);
    let d: Target | undefined;
    try {
      d = await ctx.resolve(call, where.dir);
      ctx.ensureWritable(d);
      const name = toFileName(where.name);
      checkSetAttrs(set);
      const res = await d.vfs.mkdir(d.cred, d.id, name, set);
      return replyCreated(ctx, reply, d, res);
    } catch (e) {
      return failWithWcc(ctx, 'MKDIR', reply, e, d);
    }
  },
};
