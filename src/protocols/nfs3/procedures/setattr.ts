import { FsError } from '../../../core/errors.js';
import type { SetAttrs } from '../../../core/vfs/api.js';
import { readFh, readNfstime, readSattr3 } from '../codec/decode.js';
import { writeWccData } from '../codec/encode.js';
import { NFS3_MAX_FILE_SIZE, Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithWcc } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/** Values sattr3 can carry that no file can have. */
export function checkSetAttrs(set: SetAttrs): void {
  if (set.size !== undefined && set.size > NFS3_MAX_FILE_SIZE) throw new FsError('FBIG');
  for (const t of [set.atime, set.mtime]) {
    if (t !== undefined && t !== 'server' && t.nsec >= 1e9) throw new FsError('INVAL', 'nsec out of range');
  }
}

/**
 * RFC 1813 §3.3.2 SETATTR. The optional guard (sattrguard3) makes the call
 * fail with NOT_SYNC unless the object's ctime still equals the client's.
 */
export const setattrProc: Nfs3Procedure = {
  name: 'SETATTR',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    const set = readSattr3(args);
    const guard = args.bool() ? readNfstime(args) : undefined;
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      ctx.ensureWritable(t);
      checkSetAttrs(set);
      if (set.size !== undefined) await ctx.breakLeases(t, t.id, 'write');
      const wcc = await t.vfs.setattr(t.cred, t.id, set, guard);
      reply.uint32(Nfs3Status.OK);
      writeWccData(reply, t.fsid, wcc);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithWcc(ctx, 'SETATTR', reply, e, t);
    }
  },
};
