import { FsError } from '../../../core/errors.js';
import type { StableHow } from '../../../core/vfs/api.js';
import { XdrError } from '../../xdr/errors.js';
import { readFh, readU64 } from '../codec/decode.js';
import { writeWccData } from '../codec/encode.js';
import { NFS3_MAX_FILE_SIZE, Nfs3Status, StableHow3 } from '../constants.js';
import type { Target } from '../context.js';
import { failWithWcc } from './replies.js';
import type { Nfs3Procedure } from './types.js';

const TO_VFS: readonly StableHow[] = ['unstable', 'data_sync', 'file_sync'];
const TO_WIRE: Readonly<Record<StableHow, StableHow3>> = {
  unstable: StableHow3.UNSTABLE,
  data_sync: StableHow3.DATA_SYNC,
  file_sync: StableHow3.FILE_SYNC,
};

/**
 * RFC 1813 §3.3.7 WRITE. The payload is a zero-copy slice of the request
 * buffer, handed to the VFS as is. The reply carries what durability was
 * actually reached and the write verifier, which COMMIT repeats: a change
 * tells the client that the server restarted and unstable data may be lost.
 */
export const writeProc: Nfs3Procedure = {
  name: 'WRITE',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    const offset = readU64(args);
    const count = args.uint32();
    const stableWire = args.uint32();
    const stable = TO_VFS[stableWire];
    if (stable === undefined) throw new XdrError(`invalid stable_how ${stableWire}`);
    let data = args.opaque(ctx.maxIo);
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      ctx.ensureWritable(t);
      // RFC 1813 §3.3.7: count is the number of bytes of data; more data than count is ignored.
      if (count > data.length) throw new FsError('INVAL', 'count exceeds data length');
      if (count < data.length) data = data.subarray(0, count);
      if (offset + count > NFS3_MAX_FILE_SIZE) throw new FsError('FBIG');
      await ctx.breakLeases(t, t.id, 'write');
      const res = await t.vfs.write(t.cred, t.id, offset, data, stable);
      ctx.onBytes?.('write', res.count);
      reply.uint32(Nfs3Status.OK);
      writeWccData(reply, t.fsid, res);
      reply.uint32(res.count);
      reply.uint32(TO_WIRE[res.committed]);
      reply.fixedOpaque(ctx.writeVerifier);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithWcc(ctx, 'WRITE', reply, e, t);
    }
  },
};
