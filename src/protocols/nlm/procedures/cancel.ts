import { NlmStatus } from '../constants.js';
import type { NlmCancelArgs, NlmRes } from '../codec/types.js';
import { blockKey, ownerOf, type NlmContext } from '../context.js';
import type { RpcCall } from '../../rpc/types.js';
import { statusOrThrow } from './status.js';

/**
 * XNFS §10.3 NLM_CANCEL: withdraw a blocked LOCK. Cancelling a request that
 * is no longer queued (already granted, or never seen) is not an error:
 * the client unlocks a lock it did not want (Linux's lockd answers GRANTED
 * in both cases too). A caller without access to the share may still
 * withdraw its own queued request, and nothing else.
 */
export async function cancelOp(ctx: NlmContext, call: RpcCall, args: NlmCancelArgs): Promise<NlmRes> {
  const cookie = args.cookie;
  try {
    const t = await ctx.resolve(call, args.lock.fh, 'cleanup');
    const key = blockKey(t.share.id, t.file, ownerOf(args.lock), args.lock, args.exclusive);
    const b = ctx.blocked.get(key);
    if (t.access === 'none' && !b) ctx.refused(call, t.share, 'read');
    if (t.lm.inGrace) return { cookie, stat: NlmStatus.DENIED_GRACE_PERIOD };
    if (b) {
      ctx.blocked.delete(key);
      b.cancel();
    }
    return { cookie, stat: NlmStatus.GRANTED };
  } catch (e) {
    return { cookie, stat: statusOrThrow(e) };
  }
}
