import type { NlmNotifyArgs } from '../codec/types.js';
import type { NlmContext } from '../context.js';

/**
 * XNFS §10.3 NLM_FREE_ALL: the client (an NSM-aware host that rebooted)
 * asks to drop everything it held: locks, share reservations and queued
 * requests, on every share.
 */
export async function freeAllOp(ctx: NlmContext, args: NlmNotifyArgs): Promise<void> {
  await releaseHost(ctx, args.name);
}

export async function releaseHost(ctx: NlmContext, name: string): Promise<void> {
  for (const [key, b] of ctx.blocked) if (b.owner.clientId === name) ctx.blocked.delete(key);
  await Promise.all(ctx.allManagers().map((lm) => lm.releaseClient('nlm', name)));
}
