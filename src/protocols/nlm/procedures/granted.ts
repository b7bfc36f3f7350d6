import { NlmStatus } from '../constants.js';
import type { NlmRes, NlmTestArgs } from '../codec/types.js';

/**
 * XNFS §10.3 NLM_GRANTED is a callback to a *client*; this server never
 * blocks on another lock manager, so no request of its own can match and
 * the answer is DENIED ("no such blocked lock": the caller releases it).
 */
export function grantedOp(args: NlmTestArgs): NlmRes {
  return { cookie: args.cookie, stat: NlmStatus.DENIED };
}
