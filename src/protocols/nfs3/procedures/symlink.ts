import { readDirOpArgs, readName, readSattr3 } from '../codec/decode.js';
import { toFileName, toPath } from '../codec/names.js';
import type { Target } from '../context.js';
import { failWithWcc, replyCreated } from './replies.js';
import { checkSetAttrs } from './setattr.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.10 SYMLINK: symlinkdata3 is the new link's sattr3 then its target path. */
export const symlinkProc: Nfs3Procedure = {
  name: 'SYMLINK',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const where = readDirOpArgs(args);
    const set = readSattr3(args);
    const target = readName(args);
    let d: Target | undefined;
    try {
      d = await ctx.resolve(call, where.dir);
      ctx.ensureWritable(d);
      const name = toFileName(where.name);
      checkSetAttrs(set);
      const res = await d.vfs.symlink(d.cred, d.id, name, toPath(target), set);
      return replyCreated(ctx, reply, d, res);
    } catch (e) {
      return failWithWcc(ctx, 'SYMLINK', reply, e, d);
    }
  },
};
