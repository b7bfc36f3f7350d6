/**
 * Granting a blocked lock (XNFS §10.3 NLM_GRANTED): once the lock manager
 * hands the queued lock to its owner, the server calls NLM_GRANTED on the
 * client's lock manager (found through the client's portmapper) with the
 * lock exactly as the client asked for it — Linux matches the callback to
 * its sleeping F_SETLKW by handle, svid and range. If the client answers
 * anything but GRANTED (it no longer waits), or cannot be reached after a
 * few tries, the lock is given back so it cannot be held by nobody.
 */
import type { WaiterOutcome } from '../../core/locks/api.js';
import { XdrWriter } from '../xdr/writer.js';
import { NLM_PROGRAM, NlmProc, NlmStatus } from './constants.js';
import { decodeRes } from './codec/decode.js';
import { encodeTestArgs } from './codec/encode.js';
import { toRange, type BlockedLock, type NlmContext } from './context.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export function watchBlocked(ctx: NlmContext, outcome: Promise<WaiterOutcome>, b: BlockedLock): void {
  ctx.blocked.set(b.key, b);
  void outcome.then(async (o) => {
    if (ctx.blocked.get(b.key) === b) ctx.blocked.delete(b.key);
    if (!o.granted) return;
    try {
      await sendGranted(ctx, b);
    } catch (e) {
      ctx.logger.error({ err: e, client: b.owner.clientId }, 'nlm: GRANTED callback failed unexpectedly');
    }
  });
}

async function sendGranted(ctx: NlmContext, b: BlockedLock): Promise<void> {
  const log = ctx.logger;
  const w = new XdrWriter(256);
  // GRANTED's argument is nlm_testargs; caller_name names the server (XNFS §10.3).
  encodeTestArgs(w, b.vers, {
    cookie: b.cookie,
    exclusive: b.exclusive,
    lock: { ...b.lock, callerName: ctx.serverName },
  });
  const args = w.toBuffer();
  const delays = [0, ...ctx.grantRetryDelaysMs];
  for (let attempt = 0; attempt < delays.length; attempt++) {
    if (delays[attempt]) await sleep(delays[attempt]);
    try {
      const body = await ctx.caller.call(b.peer, NLM_PROGRAM, b.vers, NlmProc.GRANTED, args);
      const stat = decodeRes(body).stat;
      if (stat === NlmStatus.GRANTED) {
        log.debug({ op: 'GRANTED', client: b.owner.clientId, file: b.file }, 'nlm: client accepted the grant');
        return;
      }
      log.info({ op: 'GRANTED', client: b.owner.clientId, stat }, 'nlm: client refused the grant; releasing');
      break;
    } catch (e) {
      log.warn(
        { op: 'GRANTED', client: b.owner.clientId, attempt, err: (e as Error).message },
        'nlm: GRANTED callback failed',
      );
    }
  }
  await b.lm.unlock(b.file, b.owner, toRange(b.lock));
}
