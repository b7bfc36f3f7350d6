import { NlmStatus } from '../constants.js';
import type { NlmRes, NlmUnlockArgs } from '../codec/types.js';
import type { RpcCall } from '../../rpc/types.js';
import { ownerOf, toRange, type NlmContext } from '../context.js';
import { statusOrThrow } from './status.js';

/**
 * XNFS §10.3 NLM_UNLOCK: release the owner's locks over the range (a
 * sub-range splits a lock). Unlocking what is not held succeeds. Unlocks are
 * allowed during grace: giving state up can never contradict a reclaim.
 * A caller without access to the share may still release locks its owner
 * holds on the file (its access may have been revoked since it locked), and
 * nothing else: it must not learn or change other owners' state.
 */
export async function unlockOp(ctx: NlmContext, call: RpcCall, args: NlmUnlockArgs): Promise<NlmRes> {
  const cookie = args.cookie;
  try {
    const t = await ctx.resolve(call, args.lock.fh, 'cleanup');
    const owner = ownerOf(args.lock);
    if (t.access === 'none') {
      const held = t.lm.clientHoldings('nlm', owner.clientId).locks;
      if (!held.some((l) => l.file === t.file && l.owner.ownerId === owner.ownerId)) ctx.refused(call, t.share, 'read');
    }
    await t.lm.unlock(t.file, owner, toRange(args.lock));
    return { cookie, stat: NlmStatus.GRANTED };
  } catch (e) {
    return { cookie, stat: statusOrThrow(e) };
  }
}
