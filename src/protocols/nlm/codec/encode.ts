/**
 * NLM encoders (XNFS §10.2 / §14.2). Results are written by the server;
 * argument encoders serve the server's own calls (GRANTED callbacks) and
 * tests. Version 1/3 status codes are narrowed by {@link toWireStatus}.
 */
import type { XdrWriter } from '../../xdr/writer.js';
import { NLM_V4, NlmStatus } from '../constants.js';
import { toWireStatus } from '../errors.js';
import type {
  NlmCancelArgs,
  NlmHolder,
  NlmLock,
  NlmLockArgs,
  NlmNotifyArgs,
  NlmRes,
  NlmShareArgs,
  NlmShareRes,
  NlmTestArgs,
  NlmTestRes,
  NlmUnlockArgs,
} from './types.js';

const U32_MAX = 0xffffffffn;
/** Stands in when a status narrowed to DENIED (v1/v3 DEADLCK) has no holder to report. */
const NO_HOLDER: NlmHolder = { exclusive: true, svid: 0, oh: Buffer.alloc(0), offset: 0n, length: 0n };
const U64_MAX = 0xffffffffffffffffn;

/**
 * v1/v3 ranges are 32-bit: an offset past 4 GiB is reported as the last
 * byte, and a range reaching past it as "to the end of the file" (length 0).
 */
function range(w: XdrWriter, vers: number, offset: bigint, length: bigint): void {
  if (vers === NLM_V4) {
    w.uint64(offset > U64_MAX ? U64_MAX : offset).uint64(length > U64_MAX ? U64_MAX : length);
    return;
  }
  const off = offset > U32_MAX ? U32_MAX : offset;
  const len = length === 0n || off + length > U32_MAX + 1n ? 0n : length;
  w.uint32(Number(off)).uint32(Number(len));
}

export function encodeLock(w: XdrWriter, vers: number, l: NlmLock): void {
  w.string(l.callerName).opaque(l.fh).opaque(l.oh).int32(l.svid);
  range(w, vers, l.offset, l.length);
}

export function encodeTestArgs(w: XdrWriter, vers: number, a: NlmTestArgs): void {
  w.opaque(a.cookie).bool(a.exclusive);
  encodeLock(w, vers, a.lock);
}

export function encodeLockArgs(w: XdrWriter, vers: number, a: NlmLockArgs): void {
  w.opaque(a.cookie).bool(a.block).bool(a.exclusive);
  encodeLock(w, vers, a.lock);
  w.bool(a.reclaim).int32(a.state);
}

export function encodeCancelArgs(w: XdrWriter, vers: number, a: NlmCancelArgs): void {
  w.opaque(a.cookie).bool(a.block).bool(a.exclusive);
  encodeLock(w, vers, a.lock);
}

export function encodeUnlockArgs(w: XdrWriter, vers: number, a: NlmUnlockArgs): void {
  w.opaque(a.cookie);
  encodeLock(w, vers, a.lock);
}

export function encodeShareArgs(w: XdrWriter, a: NlmShareArgs): void {
  const s = a.share;
  w.opaque(a.cookie).string(s.callerName).opaque(s.fh).opaque(s.oh).uint32(s.mode).uint32(s.access).bool(a.reclaim);
}

export function encodeNotifyArgs(w: XdrWriter, a: NlmNotifyArgs): void {
  w.string(a.name).int32(a.state);
}

export function encodeRes(w: XdrWriter, vers: number, r: NlmRes): void {
  w.opaque(r.cookie).uint32(toWireStatus(r.stat, vers));
}

export function encodeHolder(w: XdrWriter, vers: number, h: NlmHolder): void {
  w.bool(h.exclusive).int32(h.svid).opaque(h.oh);
  range(w, vers, h.offset, h.length);
}

export function encodeTestRes(w: XdrWriter, vers: number, r: NlmTestRes): void {
  const stat = toWireStatus(r.stat, vers);
  w.opaque(r.cookie).uint32(stat);
  // XNFS §10.2 nlm_testrply: the holder arm is present exactly when DENIED.
  if (stat === NlmStatus.DENIED) encodeHolder(w, vers, r.holder ?? NO_HOLDER);
}

export function encodeShareRes(w: XdrWriter, vers: number, r: NlmShareRes): void {
  w.opaque(r.cookie).uint32(toWireStatus(r.stat, vers)).int32(r.sequence);
}
