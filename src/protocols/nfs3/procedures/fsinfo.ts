import { readFh } from '../codec/decode.js';
import { writePostOpAttr, writeU64 } from '../codec/encode.js';
import {
  FSF3_CANSETTIME,
  FSF3_HOMOGENEOUS,
  FSF3_LINK,
  FSF3_SYMLINK,
  NFS3_DTPREF,
  NFS3_MAX_FILE_SIZE,
  Nfs3Status,
} from '../constants.js';
import type { Target } from '../context.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

const PROPERTIES = FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME;

/**
 * RFC 1813 §3.3.19 FSINFO: transfer sizes (the Linux client sizes its
 * rsize/wsize from rtmax/wtmax and rtpref/wtpref), nanosecond timestamps,
 * hard links and symlinks supported, same properties everywhere in the share.
 */
export const fsinfoProc: Nfs3Procedure = {
  name: 'FSINFO',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, t.attr);
      reply.uint32(ctx.maxIo); // rtmax
      reply.uint32(ctx.maxIo); // rtpref
      reply.uint32(4096); // rtmult
      reply.uint32(ctx.maxIo); // wtmax
      reply.uint32(ctx.maxIo); // wtpref
      reply.uint32(4096); // wtmult
      reply.uint32(NFS3_DTPREF);
      writeU64(reply, NFS3_MAX_FILE_SIZE);
      reply.uint32(0); // time_delta: 1 ns
      reply.uint32(1);
      reply.uint32(PROPERTIES);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'FSINFO', reply, e, t);
    }
  },
};
