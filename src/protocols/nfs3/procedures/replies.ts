import type { CreateResult } from '../../../core/vfs/api.js';
import type { XdrWriter } from '../../xdr/writer.js';
import { Nfs3Status } from '../constants.js';
import type { Nfs3Context, Target } from '../context.js';
import { writePostOpAttr, writePostOpFh, writeWccData } from '../codec/encode.js';

/*
 * Result shapes several procedures share. The failure helpers write the
 * status and the resfail body the RFC defines for that procedure.
 */

/** Failure whose resfail body is one wcc_data (SETATTR, WRITE, CREATE..., REMOVE, RMDIR, COMMIT). */
export async function failWithWcc(
  ctx: Nfs3Context,
  op: string,
  reply: XdrWriter,
  e: unknown,
  t: Target | undefined,
): Promise<Nfs3Status> {
  const st = ctx.statusOf(e, op);
  const wcc = await ctx.wccAfterFailure(t);
  reply.uint32(st);
  writeWccData(reply, t?.fsid ?? 0, wcc);
  return st;
}

/** Failure whose resfail body is one post_op_attr (LOOKUP, ACCESS, READ, READDIR, FSSTAT, ...). */
export function failWithAttr(
  ctx: Nfs3Context,
  op: string,
  reply: XdrWriter,
  e: unknown,
  t: Target | undefined,
): Nfs3Status {
  const st = ctx.statusOf(e, op);
  reply.uint32(st);
  writePostOpAttr(reply, t?.fsid ?? 0, t?.attr);
  return st;
}

/** RFC 1813 §3.3.8-3.3.11 resok: post_op_fh3 obj, post_op_attr obj_attributes, wcc_data dir_wcc. */
export function replyCreated(ctx: Nfs3Context, reply: XdrWriter, dir: Target, res: CreateResult): Nfs3Status {
  reply.uint32(Nfs3Status.OK);
  writePostOpFh(reply, ctx.handleOf(dir, res.obj));
  writePostOpAttr(reply, dir.fsid, res.obj);
  writeWccData(reply, dir.fsid, res.dir);
  return Nfs3Status.OK;
}
