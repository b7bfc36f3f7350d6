import { readFh } from '../codec/decode.js';
import { writePostOpAttr, writeU64 } from '../codec/encode.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.18 FSSTAT: the share's figures as the VFS reports them; invarsec 0 (they change). */
export const fsstatProc: Nfs3Procedure = {
  name: 'FSSTAT',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      const s = await t.vfs.statfs();
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, t.attr);
      writeU64(reply, s.totalBytes);
      writeU64(reply, s.freeBytes);
      writeU64(reply, s.availBytes);
      writeU64(reply, s.totalFiles);
      writeU64(reply, s.freeFiles);
      writeU64(reply, s.availFiles);
      reply.uint32(0);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'FSSTAT', reply, e, t);
    }
  },
};
