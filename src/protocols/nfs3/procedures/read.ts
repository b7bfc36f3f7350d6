import { readFh, readU64 } from '../codec/decode.js';
import { writePostOpAttr } from '../codec/encode.js';
import { NFS3_MAX_FILE_SIZE, Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/**
 * RFC 1813 §3.3.6 READ. The count is clipped to rtmax (FSINFO); the data is
 * appended to the reply by reference, never copied.
 */
export const readProc: Nfs3Procedure = {
  name: 'READ',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    const offset = readU64(args);
    const count = Math.min(args.uint32(), ctx.maxIo);
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      if (offset >= NFS3_MAX_FILE_SIZE && t.attr.type === 'reg') {
        // No file reaches this offset: the read is past end of file.
        reply.uint32(Nfs3Status.OK);
        writePostOpAttr(reply, t.fsid, t.attr);
        reply.uint32(0);
        reply.bool(true);
        reply.uint32(0);
        return Nfs3Status.OK;
      }
      // docs/locking.md "Across protocols": an SMB client caching writes flushes them first; the
      // attributes are then read again.
      const breaking = ctx.breakLeases(t, t.id, 'read');
      if (breaking) {
        await breaking;
        t.attr = await t.vfs.getattr(t.id);
      }
      // The attributes read resolving the handle serve the read too: one metadata snapshot per READ.
      const res = await t.vfs.read(t.cred, t.id, offset, count, t.attr);
      ctx.onBytes?.('read', res.data.length);
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, res.attr);
      reply.uint32(res.data.length);
      reply.bool(res.eof);
      reply.appendOpaqueZeroCopy(res.data);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'READ', reply, e, t);
    }
  },
};
