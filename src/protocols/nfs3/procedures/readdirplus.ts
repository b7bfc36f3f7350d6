import type { Inode } from '../../../core/types.js';
import { HANDLE_SIZE } from '../../../core/vfs/handle.js';
import { readFh, readU64 } from '../codec/decode.js';
import { FATTR3_SIZE, writePostOpAttr, writePostOpFh, writeU64 } from '../codec/encode.js';
import { NFS3_COOKIEVERFSIZE, Nfs3Status } from '../constants.js';
import type { Target } from '../context.js';
import { Nfs3Error } from '../errors.js';
import { checkCookieVerifier, entrySize, listEntries, type WireEntry } from './dir-listing.js';
import { failWithAttr } from './replies.js';
import type { Nfs3Procedure } from './types.js';

/** status + post_op_attr + cookieverf3 + end-of-list marker + eof. */
const FIXED_REPLY_SIZE = 4 + 4 + FATTR3_SIZE + NFS3_COOKIEVERFSIZE + 4 + 4;
/** post_op_attr + post_op_fh3 of one entry, counted against maxcount only. */
const PLUS_SIZE = 4 + FATTR3_SIZE + 4 + 4 + HANDLE_SIZE;
const MIN_ENTRY_SIZE = 28;
const MAX_BATCH = 1024;

/**
 * RFC 1813 §3.3.17 READDIRPLUS. Two budgets: `dircount` bounds the directory
 * information alone (fileid, name, cookie: no attributes or handles) and
 * `maxcount` the whole READDIRPLUS3resok. NFS3ERR_TOOSMALL when not even one
 * entry fits. An entry that vanished between listing and getattr is sent
 * without attributes and handle, which the RFC allows.
 */
export const readdirplusProc: Nfs3Procedure = {
  name: 'READDIRPLUS',
  nonIdempotent: false,
  async run(ctx, call, args, reply) {
    const fh = readFh(args);
    const cookie = readU64(args);
    const verf = args.fixedOpaque(NFS3_COOKIEVERFSIZE);
    const dircount = args.uint32();
    const maxcount = args.uint32();
    let t: Target | undefined;
    try {
      t = await ctx.resolve(call, fh);
      const cookieverf = checkCookieVerifier(t, cookie, verf);
      const budget = maxcount - FIXED_REPLY_SIZE;
      const want = Math.min(
        MAX_BATCH,
        Math.max(1, Math.floor(dircount / MIN_ENTRY_SIZE)),
        Math.max(1, Math.floor(budget / (MIN_ENTRY_SIZE + PLUS_SIZE))),
      );
      const list = await listEntries(t, cookie, want, true);
      let used = 0;
      let dirUsed = 0;
      let n = 0;
      for (; n < list.entries.length; n++) {
        const size = entrySize(list.entries[n]);
        if (dirUsed + size > dircount || used + size + PLUS_SIZE > budget) break;
        dirUsed += size;
        used += size + PLUS_SIZE;
      }
      if (n === 0 && list.entries.length > 0) throw new Nfs3Error(Nfs3Status.TOOSMALL);
      const sent = list.entries.slice(0, n);
      const dir = t;
      // Attributes come with the listing (one snapshot); only ".." (and every entry of a VFS
      // without readdirPlus) needs a getattr of its own.
      const attrs = list.withAttrs
        ? await listedAttrs(dir, sent, list.dir)
        : await Promise.all(sent.map((e) => attrOf(dir, e, list.dir)));
      reply.uint32(Nfs3Status.OK);
      writePostOpAttr(reply, t.fsid, list.dir);
      reply.fixedOpaque(cookieverf);
      for (let i = 0; i < n; i++) {
        const e = sent[i];
        const a = attrs[i];
        reply.uint32(1);
        writeU64(reply, e.id);
        reply.opaque(e.name);
        writeU64(reply, e.cookie);
        writePostOpAttr(reply, t.fsid, a);
        writePostOpFh(reply, a ? ctx.handleOf(t, a) : undefined);
      }
      reply.uint32(0);
      reply.bool(n === list.entries.length && list.eof);
      return Nfs3Status.OK;
    } catch (e) {
      return failWithAttr(ctx, 'READDIRPLUS', reply, e, t);
    }
  },
};

async function attrOf(t: Target, e: WireEntry, dir: Inode): Promise<Inode | undefined> {
  if (e.id === dir.id) return dir;
  try {
    return await t.vfs.getattr(e.id);
  } catch {
    return undefined;
  }
}

/** Wire cookies 1 and 2 are "." and ".." (see dir-listing.ts); real entries carry their inode. */
async function listedAttrs(t: Target, sent: WireEntry[], dir: Inode): Promise<(Inode | undefined)[]> {
  const out = new Array<Inode | undefined>(sent.length);
  for (let i = 0; i < sent.length; i++) {
    const e = sent[i];
    // An entry whose inode vanished is sent without attributes and handle, as the RFC allows.
    out[i] = e.id === dir.id ? dir : e.cookie > 2 ? e.attr : await attrOf(t, e, dir);
  }
  return out;
}
