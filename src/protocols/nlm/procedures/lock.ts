import type { RpcCall } from '../../rpc/types.js';
import { NlmStatus } from '../constants.js';
import type { NlmLockArgs, NlmRes } from '../codec/types.js';
import { blockKey, copyLock, lockTypeOf, ownerOf, toRange, type NlmContext } from '../context.js';
import { watchBlocked } from '../grant-callback.js';
import { statusOrThrow } from './status.js';

/**
 * XNFS §10.3 NLM_LOCK (and §10.3 NLM_NM_LOCK with `monitored` false).
 * A conflict with block=false is DENIED; with block=true the request is
 * queued and answered BLOCKED, and the server calls the client's NLM_GRANTED
 * once the lock is held (see grant-callback.ts). A retransmitted blocking
 * LOCK (Linux re-polls every 30 s) finds the same queued request.
 * Monitored requests make the caller an NSM peer, so that it is told to
 * reclaim when this server restarts. A shared lock needs read access to the
 * share, an exclusive one write access (knfsd opens the file for writing to
 * take one: fs/lockd/svcsubs.c nlm_lookup_file).
 */
export async function lockOp(ctx: NlmContext, call: RpcCall, args: NlmLockArgs, monitored: boolean): Promise<NlmRes> {
  const { vers, peer } = call;
  const cookie = args.cookie;
  let stat: NlmStatus;
  try {
    const t = await ctx.resolve(call, args.lock.fh, args.exclusive ? 'write' : 'read');
    const owner = ownerOf(args.lock);
    const range = toRange(args.lock);
    const res = await t.lm.lock(
      { file: t.file, owner, type: lockTypeOf(args.exclusive), offset: range.offset, length: range.length },
      { wait: args.block, reclaim: args.reclaim },
    );
    if (res.status === 'granted') {
      stat = NlmStatus.GRANTED;
    } else if (res.status === 'denied') {
      stat = NlmStatus.DENIED;
    } else {
      stat = NlmStatus.BLOCKED;
      const key = blockKey(t.share.id, t.file, owner, args.lock, args.exclusive);
      const existing = ctx.blocked.get(key);
      if (existing) {
        // A retransmission: the GRANTED callback must carry the newest cookie.
        existing.cookie = Buffer.from(cookie);
      } else {
        const waiter = res.waiter;
        watchBlocked(ctx, waiter.outcome, {
          key,
          lm: t.lm,
          file: t.file,
          owner,
          cancel: () => waiter.cancel(),
          vers,
          cookie: Buffer.from(cookie),
          exclusive: args.exclusive,
          lock: copyLock(args.lock),
          peer: { address: peer.address, transport: peer.transport },
        });
      }
    }
  } catch (e) {
    stat = statusOrThrow(e);
  }
  if (monitored && (stat === NlmStatus.GRANTED || stat === NlmStatus.BLOCKED)) {
    ctx.monitor({
      name: args.lock.callerName,
      address: peer.address,
      localAddress: peer.localAddress,
      state: args.state,
    });
  }
  return { cookie, stat };
}
