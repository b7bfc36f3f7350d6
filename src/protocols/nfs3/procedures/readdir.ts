import { readFh, readU64 } from '../codec/decode.js';
import { FATTR3_SIZE, writePostOpAttr, writeU64 } from '../codec/encode.js';
import { NFS3_COOKIEVERFSIZE, Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { Nfs3Error } from '../errors.js';
import { checkCookieVerifier, entrySize, listEntries } from './dir-listing.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/** status + post_op_attr + cookieverf3 + end-of-list marker + eof. */
const FIXED_REPLY_SIZE = 4 + 4 + FATTR3_SIZE + NFS3_COOKIEVERFSIZE + 4 + 4;
/** The smallest entry3 (a one-byte name). */
const MIN_ENTRY_SIZE = 28;
/** Most entries fetched from the VFS for one reply. */
const MAX_BATCH = 4096;

/**
 * RFC 1813 §3.3.16 READDIR. `count` bounds the whole READDIR3resok; as many
 * entries as fit are returned, and NFS3ERR_TOOSMALL when not even one does.
 */
export const readdirProc: Nfs3Procedure = {
  name: 'READDIR',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    const cookie = readU64(args);
    const verf = args.fixedOpaque(NFS3_COOKIEVERFSIZE);
    const count = args.uint32();
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      const cookieverf = checkCookieVerifier(t, cookie, verf);
      const budget = count - FIXED_REPLY_SIZE;
      const want = Math.min(MAX_BATCH, Math.max(1, Math.floor(budget / MIN_ENTRY_SIZE)));
      const list = await listEntries(t, cookie, want);
      let used = 0;
      let n = 0;
      for (; n < list.entries.length; n++) {
        const size = entrySize(list.entries[n]);
        if (used + size > budget) break;
        used += size;
      }
      if (n === 0 && list.entries.length > 0) throw new Nfs3Error(Nfs3Status.TOOSMALL);
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, list.dir);
      reply.fixedOpaque(cookieverf);
      for (let i = 0; i < n; i++) {
        const e = list.entries[i];
        reply.uint32(1);
        writeU64(reply, e.id);
        reply.opaque(e.name);
        writeU64(reply, e.cookie);
      }
      reply.uint32(0);
      reply.bool(n === list.entries.length && list.eof);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'READDIR', reply, e, t);
    }
  },
};
