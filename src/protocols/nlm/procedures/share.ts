import type { ShareModes } from '../../../core/locks/api.js';
import type { RpcCall } from '../../rpc/types.js';
import { FshAccess, FshMode, NlmStatus } from '../constants.js';
import type { NlmShare, NlmShareArgs, NlmShareRes } from '../codec/types.js';
import { ownerOf, type NlmContext } from '../context.js';
import { statusOrThrow } from './status.js';

/** XNFS §10.2 fsh_access / fsh_mode as the lock manager's access and deny bits. */
function accessOf(a: FshAccess): ShareModes {
  return { read: a === FshAccess.R || a === FshAccess.RW, write: a === FshAccess.W || a === FshAccess.RW };
}
function denyOf(m: FshMode): ShareModes {
  return { read: m === FshMode.DR || m === FshMode.DRW, write: m === FshMode.DW || m === FshMode.DRW };
}

function sameModes(a: ShareModes, b: ShareModes): boolean {
  return a.read === b.read && a.write === b.write;
}

function shareOwner(s: NlmShare) {
  // nlm_share has no svid: the owner handle alone names the DOS process.
  return ownerOf({ callerName: s.callerName, oh: s.oh, svid: 0 });
}

/**
 * XNFS §10.3 NLM_SHARE: a DOS share reservation, held as a lock-manager
 * open (it conflicts with SMB share modes and NFSv4 deny modes too). The
 * `sequence` result is unused by clients and always 0. Asking for write
 * access needs write access to the share; read-only access (with any deny
 * mode) needs read access.
 */
export async function shareOp(ctx: NlmContext, call: RpcCall, args: NlmShareArgs): Promise<NlmShareRes> {
  const cookie = args.cookie;
  try {
    const access = accessOf(args.share.access);
    const t = await ctx.resolve(call, args.share.fh, access.write ? 'write' : 'read');
    const res = await t.lm.open(
      {
        file: t.file,
        owner: shareOwner(args.share),
        access,
        deny: denyOf(args.share.mode),
      },
      { reclaim: args.reclaim },
    );
    if (res.status === 'conflict') return { cookie, stat: NlmStatus.DENIED, sequence: 0 };
    ctx.monitor({ name: args.share.callerName, address: call.peer.address, localAddress: call.peer.localAddress });
    return { cookie, stat: NlmStatus.GRANTED, sequence: 0 };
  } catch (e) {
    return { cookie, stat: statusOrThrow(e), sequence: 0 };
  }
}

/**
 * XNFS §10.3 NLM_UNSHARE: drop the owner's reservation with these modes
 * (all of the owner's reservations on the file when none match exactly).
 * A caller without access to the share may still drop its own
 * reservations, and nothing else.
 */
export async function unshareOp(ctx: NlmContext, call: RpcCall, args: NlmShareArgs): Promise<NlmShareRes> {
  const cookie = args.cookie;
  try {
    const t = await ctx.resolve(call, args.share.fh, 'cleanup');
    const opens = t.lm.findOpens(t.file, shareOwner(args.share));
    if (t.access === 'none' && opens.length === 0) ctx.refused(call, t.share, 'read');
    const access = accessOf(args.share.access);
    const deny = denyOf(args.share.mode);
    const exact = opens.filter((o) => sameModes(o.access, access) && sameModes(o.deny, deny));
    for (const o of exact.length ? exact.slice(0, 1) : opens) await t.lm.closeOpen(o.id);
    return { cookie, stat: NlmStatus.GRANTED, sequence: 0 };
  } catch (e) {
    return { cookie, stat: statusOrThrow(e), sequence: 0 };
  }
}
