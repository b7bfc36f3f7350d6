import type { Inode } from '../../../core/types.js';
import { readDirOpArgs, readFh } from '../codec/decode.js';
import { writePostOpAttr, writeWccData } from '../codec/encode.js';
import { toFileName } from '../codec/names.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import type { Nfs3Procedure } from './types.js';

/**
 * RFC 1813 §3.3.15 LINK: a new name for an existing non-directory. The
 * file's post-op attributes (its nlink changed) and the directory's wcc
 * data are returned on success and failure.
 */
export const linkProc: Nfs3Procedure = {
  name: 'LINK',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const file = readFh(args);
    const link = readDirOpArgs(args);
    let t: Target | undefined;
    let dir: { id: number; attr: Inode } | undefined;
    try {
      t = await ctx.resolve(call, file);
      dir = await ctx.resolveSibling(t, link.dir);
      ctx.ensureWritable(t);
      const res = await t.vfs.link(t.cred, t.id, dir.id, toFileName(link.name));
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, res.obj);
      writeWccData(reply, t.fsid, res.dir);
      return Nfs3Status.OK;
    } catch (e) {
      const st = ctx.statusOf(e, 'LINK');
      const fileAttr = (await ctx.wccAfterFailure(t))?.after;
      const dirWcc = dir ? await ctx.wccAfterFailure(t, dir.id, dir.attr) : undefined;
      reply.uint32(st);
      writePostOpAttr(reply, t?.fsid ?? 0, fileAttr);
      writeWccData(reply, t?.fsid ?? 0, dirWcc);
      return st;
    }
  },
};
