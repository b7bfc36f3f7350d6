import { NlmStatus } from '../constants.js';
import type { NlmTestArgs, NlmTestRes } from '../codec/types.js';
import { holderOf, lockTypeOf, ownerOf, toRange, type NlmContext } from '../context.js';
import type { RpcCall } from '../../rpc/types.js';
import { statusOrThrow } from './status.js';

/**
 * XNFS §10.3 NLM_TEST: would this lock be granted? DENIED carries the
 * conflicting holder (exclusive flag, svid, owner handle, range). During
 * grace the answer could be wrong, so the manager refuses: GRACE_PERIOD.
 * Asking needs read access to the share, whatever the lock's type: a test
 * changes nothing.
 */
export async function testOp(ctx: NlmContext, call: RpcCall, args: NlmTestArgs): Promise<NlmTestRes> {
  const cookie = args.cookie;
  try {
    const t = await ctx.resolve(call, args.lock.fh, 'read');
    const conflict = t.lm.test(t.file, ownerOf(args.lock), toRange(args.lock), lockTypeOf(args.exclusive));
    if (!conflict) return { cookie, stat: NlmStatus.GRANTED };
    return { cookie, stat: NlmStatus.DENIED, holder: holderOf(conflict) };
  } catch (e) {
    return { cookie, stat: statusOrThrow(e) };
  }
}
