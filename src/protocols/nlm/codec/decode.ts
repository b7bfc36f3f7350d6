/**
 * NLM argument decoders (XNFS §10.2 for versions 1/3, §14.2 for version 4).
 * Every read goes through XdrReader, so short or oversized input throws
 * XdrError (GARBAGE_ARGS); every variable-length item is bounded.
 */
import { XdrError } from '../../xdr/errors.js';
import type { XdrReader } from '../../xdr/reader.js';
import { LM_MAXNAMELEN, LM_MAXSTRLEN, MAXNETOBJ_SZ, NLM_V4, NlmStatus } from '../constants.js';
import type {
  NlmCancelArgs,
  NlmHolder,
  NlmLock,
  NlmLockArgs,
  NlmNotifyArgs,
  NlmRes,
  NlmShare,
  NlmShareArgs,
  NlmShareRes,
  NlmTestArgs,
  NlmTestRes,
  NlmUnlockArgs,
} from './types.js';

function netobj(r: XdrReader): Buffer {
  return r.opaque(MAXNETOBJ_SZ);
}

/** v1/v3 offsets and lengths are `unsigned`; v4's are uint64. */
function range(r: XdrReader, vers: number): [bigint, bigint] {
  if (vers === NLM_V4) return [r.uint64(), r.uint64()];
  return [BigInt(r.uint32()), BigInt(r.uint32())];
}

function enumIn(r: XdrReader, max: number, what: string): number {
  const v = r.uint32();
  if (v > max) throw new XdrError(`invalid ${what} ${v}`);
  return v;
}

export function decodeLock(r: XdrReader, vers: number): NlmLock {
  const callerName = r.string(LM_MAXSTRLEN);
  const fh = netobj(r);
  const oh = netobj(r);
  const svid = r.int32();
  const [offset, length] = range(r, vers);
  return { callerName, fh, oh, svid, offset, length };
}

export function decodeTestArgs(r: XdrReader, vers: number): NlmTestArgs {
  const cookie = netobj(r);
  const exclusive = r.bool();
  return { cookie, exclusive, lock: decodeLock(r, vers) };
}

export function decodeLockArgs(r: XdrReader, vers: number): NlmLockArgs {
  const cookie = netobj(r);
  const block = r.bool();
  const exclusive = r.bool();
  const lock = decodeLock(r, vers);
  const reclaim = r.bool();
  const state = r.int32();
  return { cookie, block, exclusive, lock, reclaim, state };
}

export function decodeCancelArgs(r: XdrReader, vers: number): NlmCancelArgs {
  const cookie = netobj(r);
  const block = r.bool();
  const exclusive = r.bool();
  return { cookie, block, exclusive, lock: decodeLock(r, vers) };
}

export function decodeUnlockArgs(r: XdrReader, vers: number): NlmUnlockArgs {
  const cookie = netobj(r);
  return { cookie, lock: decodeLock(r, vers) };
}

export function decodeShareArgs(r: XdrReader): NlmShareArgs {
  const cookie = netobj(r);
  const share: NlmShare = {
    callerName: r.string(LM_MAXSTRLEN),
    fh: netobj(r),
    oh: netobj(r),
    mode: enumIn(r, 3, 'fsh_mode'),
    access: enumIn(r, 3, 'fsh_access'),
  };
  return { cookie, share, reclaim: r.bool() };
}

export function decodeNotifyArgs(r: XdrReader): NlmNotifyArgs {
  return { name: r.string(LM_MAXNAMELEN), state: r.int32() };
}

function status(r: XdrReader): NlmStatus {
  return enumIn(r, NlmStatus.FAILED, 'nlm_stats');
}

/** nlm_res (the _RES procedures' argument and most results). */
export function decodeRes(r: XdrReader): NlmRes {
  return { cookie: netobj(r), stat: status(r) };
}

export function decodeHolder(r: XdrReader, vers: number): NlmHolder {
  const exclusive = r.bool();
  const svid = r.int32();
  const oh = netobj(r);
  const [offset, length] = range(r, vers);
  return { exclusive, svid, oh, offset, length };
}

export function decodeTestRes(r: XdrReader, vers: number): NlmTestRes {
  const cookie = netobj(r);
  const stat = status(r);
  return stat === NlmStatus.DENIED ? { cookie, stat, holder: decodeHolder(r, vers) } : { cookie, stat };
}

export function decodeShareRes(r: XdrReader): NlmShareRes {
  return { cookie: netobj(r), stat: status(r), sequence: r.int32() };
}
