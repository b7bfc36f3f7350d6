import { NlmStatus } from '../constants.js';
import type { NlmRes, NlmUnlockArgs } from '../codec/types.js';
import { ownerOf, toRange, type NlmContext } from '../context.js';
import { statusOrThrow } from './status.js';

/**
 * XNFS §10.3 NLM_UNLOCK: release the owner's locks over the range (a
 * sub-range splits a lock). Unlocking what is not held succeeds. Unlocks are
 * allowed during grace: giving state up can never contradict a reclaim.
 */
export async function unlockOp(ctx: NlmContext, args: NlmUnlockArgs): Promise<NlmRes> {
  const cookie = args.cookie;
  try {
    const t = await ctx.resolve(args.lock.fh);
    await t.lm.unlock(t.file, ownerOf(args.lock), toRange(args.lock));
    return { cookie, stat: NlmStatus.GRANTED };
  } catch (e) {
    return { cookie, stat: statusOrThrow(e) };
  }
}
