import type { Inode } from '../../../core/types.js';
import { readDirOpArgs } from '../codec/decode.js';
import { writeWccData } from '../codec/encode.js';
import { toFileName } from '../codec/names.js';
import { Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import type { Nfs3Procedure } from './types.js';

/**
 * RFC 1813 §3.3.14 RENAME: both directories must be in the same share
 * (XDEV otherwise); wcc data for both directories on success and failure.
 */
export const renameProc: Nfs3Procedure = {
  name: 'RENAME',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const from = readDirOpArgs(args);
    const to = readDirOpArgs(args);
    let f: Target | undefined;
    let toDir: { id: number; attr: Inode } | undefined;
    try {
      f = await ctx.resolve(call, from.dir);
      toDir = await ctx.resolveSibling(f, to.dir);
      ctx.ensureWritable(f);
      // The source and a target it would replace both lose their name.
      await ctx.breakLeasesOfName(f, f.id, toFileName(from.name), 'namespace');
      await ctx.breakLeasesOfName(f, toDir.id, toFileName(to.name), 'namespace');
      const res = await f.vfs.rename(f.cred, f.id, toFileName(from.name), toDir.id, toFileName(to.name));
      reply.uint32(Nfs3Status.OK);
      writeWccData(reply, f.fsid, res.fromDir);
      writeWccData(reply, f.fsid, res.toDir);
      return Nfs3Status.OK;
    } catch (e) {
      const st = ctx.statusOf(e, 'RENAME');
      const fromWcc = await ctx.wccAfterFailure(f);
      const toWcc = toDir ? await ctx.wccAfterFailure(f, toDir.id, toDir.attr) : undefined;
      reply.uint32(st);
      writeWccData(reply, f?.fsid ?? 0, fromWcc);
      writeWccData(reply, f?.fsid ?? 0, toWcc);
      return st;
    }
  },
};
