import { NlmStatus } from '../constants.js';
import type { NlmCancelArgs, NlmRes } from '../codec/types.js';
import { blockKey, ownerOf, type NlmContext } from '../context.js';
import { statusOrThrow } from './status.js';

/**
 * XNFS §10.3 NLM_CANCEL: withdraw a blocked LOCK. Cancelling a request that
 * is no longer queued (already granted, or never seen) is not an error:
 * the client unlocks a lock it did not want (Linux's lockd answers GRANTED
 * in both cases too).
 */
export async function cancelOp(ctx: NlmContext, args: NlmCancelArgs): Promise<NlmRes> {
  const cookie = args.cookie;
  try {
    const t = await ctx.resolve(args.lock.fh);
    if (t.lm.inGrace) return { cookie, stat: NlmStatus.DENIED_GRACE_PERIOD };
    const key = blockKey(t.share.id, t.file, ownerOf(args.lock), args.lock, args.exclusive);
    const b = ctx.blocked.get(key);
    if (b) {
      ctx.blocked.delete(key);
      b.cancel();
    }
    return { cookie, stat: NlmStatus.GRANTED };
  } catch (e) {
    return { cookie, stat: statusOrThrow(e) };
  }
}
