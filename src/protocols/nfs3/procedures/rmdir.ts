import { readDirOpArgs } from '../codec/decode.js';
import { writeWccData } from '../codec/encode.js';
import { toFileName } from '../codec/names.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithWcc } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.13 RMDIR: remove an empty directory (NOTEMPTY otherwise). */
export const rmdirProc: Nfs3Procedure = {
  name: 'RMDIR',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const what = readDirOpArgs(args);
    let d: Target | undefined;
    try {
      d = await ctx.resolve(call, what.dir);
      ctx.ensureWritable(d);
      const res = await d.vfs.rmdir(d.cred, d.id, toFileName(what.name));
      reply.uint32(Nfs3Status.OK);
      writeWccData(reply, d.fsid, res.dir);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithWcc(ctx, 'RMDIR', reply, e, d);
    }
  },
};
