import type { CreateHow } from '../../../core/vfs/api.js';
import { XdrError } from '../../xdr/errors.js';
import type { XdrReader } from '../../xdr/reader.js';
import { readDirOpArgs, readSattr3 } from '../codec/decode.js';
import { toFileName } from '../codec/names.js';
import { CreateMode3, NFS3_CREATEVERFSIZE } from '../constants.js';
import type { Target } from '../context.js';
import { failWithWcc, replyCreated } from './replies.js';
import { checkSetAttrs } from './setattr.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.8 createhow3. */
function readCreateHow(r: XdrReader): CreateHow {
  const mode = r.uint32();
  switch (mode) {
    case CreateMode3.UNCHECKED:
      return { kind: 'unchecked', set: readSattr3(r) };
    case CreateMode3.GUARDED:
      return { kind: 'guarded', set: readSattr3(r) };
    case CreateMode3.EXCLUSIVE:
      return { kind: 'exclusive', verifier: r.fixedOpaque(NFS3_CREATEVERFSIZE) };
    default:
      throw new XdrError(`invalid createmode3 ${mode}`);
  }
}

/**
 * RFC 1813 §3.3.8 CREATE. UNCHECKED truncates an existing file per its
 * sattr3, GUARDED fails with EXIST, EXCLUSIVE stores the verifier so that a
 * retransmitted CREATE finds "its" file and succeeds with the same handle.
 */
export const createProc: Nfs3Procedure = {
  name: 'CREATE',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const where = readDirOpArgs(args);
    const how = readCreateHow(args);
    let d: Target | undefined;
    try {
      d = await ctx.resolve(call, where.dir);
      ctx.ensureWritable(d);
      const name = toFileName(where.name);
      if (how.kind !== 'exclusive') checkSetAttrs(how.set);
      const res = await d.vfs.create(d.cred, d.id, name, how);
      return replyCreated(ctx, reply, d, res);
    } catch (e) {
      return failWithWcc(ctx, 'CREATE', reply, e, d);
    }
  },
};
