import { readDirOpArgs } from '../codec/decode.js';
import { writeWccData } from '../codec/encode.js';
import { toFileName } from '../codec/names.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithWcc } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.12 REMOVE: unlink a non-directory (ISDIR for a directory, from the VFS). */
export const removeProc: Nfs3Procedure = {
  name: 'REMOVE',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const what = readDirOpArgs(args);
    let d: Target | undefined;
    try {
      d = await ctx.resolve(call, what.dir);
      ctx.ensureWritable(d);
      await ctx.breakLeasesOfName(d, d.id, toFileName(what.name), 'namespace');
      const res = await d.vfs.remove(d.cred, d.id, toFileName(what.name));
      reply.uint32(Nfs3Status.OK);
      writeWccData(reply, d.fsid, res.dir);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithWcc(ctx, 'REMOVE', reply, e, d);
    }
  },
};
