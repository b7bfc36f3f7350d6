/**
 * RFC 5531 §9 message codec: call headers (server side), reply headers
 * (both sides), and the AUTH_SYS credential body (Appendix A). Bytes only:
 * what a decoded header means is decided by the dispatcher.
 */
import { XdrError } from '../xdr/errors.js';
import { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import { AUTH_NONE, AcceptStat, AuthStat, type AuthSysParams, type OpaqueAuth } from './types.js';

/** RFC 5531 §9 msg_type. */
export const MSG_CALL = 0;
export const MSG_REPLY = 1;
/** RFC 5531 §9 reply_stat. */
export const MSG_ACCEPTED = 0;
export const MSG_DENIED = 1;
/** RFC 5531 §9 reject_stat. */
export const RPC_MISMATCH = 0;
export const AUTH_ERROR = 1;

/** RFC 5531 §9: the only RPC protocol version. */
export const RPC_VERSION = 2;
/** RFC 5531 §8.2: opaque_auth bodies are at most 400 bytes. */
export const MAX_AUTH_BYTES = 400;
/** RFC 5531 Appendix A: machinename<255>, gids<16>. */
export const MAX_MACHINE_NAME = 255;
export const MAX_AUTH_SYS_GIDS = 16;

export type RejectStat = typeof RPC_MISMATCH | typeof AUTH_ERROR;

export interface CallHeader {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  cred: OpaqueAuth;
  verf: OpaqueAuth;
}

/**
 * Outcome of decoding a call header:
 * - `call`: well-formed; `argsOffset` is where the procedure arguments start.
 * - `denied`: a call that must get MSG_DENIED (wrong rpcvers, bad cred/verf).
 * - `drop`: not a call (a REPLY, an unknown msg_type, or too short to know);
 *   RFC 5531 defines no reply to such a message, so none is sent.
 */
export type CallDecodeResult =
  | { kind: 'call'; header: CallHeader; argsOffset: number }
  | { kind: 'denied'; xid: number; reject: RejectStat; authStat?: AuthStat }
  | { kind: 'drop'; reason: string };

function decodeOpaqueAuth(r: XdrReader): OpaqueAuth | undefined {
  const flavor = r.uint32();
  const len = r.uint32();
  if (len > MAX_AUTH_BYTES || len > r.remaining) return undefined;
  return { flavor, body: r.fixedOpaque(len) };
}

/** Decode a call header from one RPC message (never throws). */
export function decodeCallHeader(msg: Buffer): CallDecodeResult {
  if (msg.length < 8) return { kind: 'drop', reason: 'message shorter than xid + msg_type' };
  const xid = msg.readUInt32BE(0);
  const mtype = msg.readUInt32BE(4);
  if (mtype !== MSG_CALL) {
    return { kind: 'drop', reason: mtype === MSG_REPLY ? 'reply sent to server' : `unknown msg_type ${mtype}` };
  }
  if (msg.length < 12) return { kind: 'drop', reason: 'call truncated before rpcvers' };
  // RFC 5531 §9: rpcvers must be 2; anything else gets RPC_MISMATCH(2, 2)
  // before the rest of the header is trusted.
  if (msg.readUInt32BE(8) !== RPC_VERSION) return { kind: 'denied', xid, reject: RPC_MISMATCH };
  if (msg.length < 24) return { kind: 'drop', reason: 'call truncated before cred' };
  const prog = msg.readUInt32BE(12);
  const vers = msg.readUInt32BE(16);
  const proc = msg.readUInt32BE(20);
  const r = new XdrReader(msg, 24);
  let cred: OpaqueAuth | undefined;
  let verf: OpaqueAuth | undefined;
  try {
    cred = decodeOpaqueAuth(r);
  } catch (e) {
    if (!(e instanceof XdrError)) throw e;
  }
  // RFC 5531 §9: a malformed or oversized credential is AUTH_BADCRED.
  if (!cred) return { kind: 'denied', xid, reject: AUTH_ERROR, authStat: AuthStat.AUTH_BADCRED };
  try {
    verf = decodeOpaqueAuth(r);
  } catch (e) {
    if (!(e instanceof XdrError)) throw e;
  }
  if (!verf) return { kind: 'denied', xid, reject: AUTH_ERROR, authStat: AuthStat.AUTH_BADVERF };
  return { kind: 'call', header: { xid, prog, vers, proc, cred, verf }, argsOffset: r.offset };
}

/**
 * RFC 5531 Appendix A: decode an AUTH_SYS credential body. Returns undefined
 * when the body is malformed, over the limits, or has trailing bytes (all
 * AUTH_BADCRED). The gid count is checked before anything is allocated.
 */
export function decodeAuthSys(body: Buffer): AuthSysParams | undefined {
  try {
    const r = new XdrReader(body);
    const stamp = r.uint32();
    const machineName = r.string(MAX_MACHINE_NAME);
    const uid = r.uint32();
    const gid = r.uint32();
    const gids = r.array(MAX_AUTH_SYS_GIDS, () => r.uint32());
    if (r.remaining !== 0) return undefined;
    return { stamp, machineName, uid, gid, gids };
  } catch (e) {
    if (e instanceof XdrError) return undefined;
    throw e;
  }
}

export function encodeAuthSys(w: XdrWriter, p: AuthSysParams): XdrWriter {
  w.uint32(p.stamp).string(p.machineName).uint32(p.uid).uint32(p.gid);
  return w.array(p.gids, (g) => w.uint32(g));
}

/** Write a call header (client side); arguments follow. */
export function encodeCallHeader(w: XdrWriter, h: CallHeader): XdrWriter {
  w.uint32(h.xid).uint32(MSG_CALL).uint32(RPC_VERSION).uint32(h.prog).uint32(h.vers).uint32(h.proc);
  w.uint32(h.cred.flavor).opaque(h.cred.body);
  return w.uint32(h.verf.flavor).opaque(h.verf.body);
}

/** MSG_ACCEPTED header with an AUTH_NONE verifier; for SUCCESS the results follow. */
export function encodeAcceptedReply(
  w: XdrWriter,
  xid: number,
  stat: AcceptStat,
  mismatch?: { low: number; high: number },
): XdrWriter {
  w.uint32(xid).uint32(MSG_REPLY).uint32(MSG_ACCEPTED).uint32(AUTH_NONE).uint32(0).uint32(stat);
  // RFC 5531 §9: PROG_MISMATCH carries the lowest and highest versions served.
  if (stat === AcceptStat.PROG_MISMATCH) w.uint32(mismatch?.low ?? 0).uint32(mismatch?.high ?? 0);
  return w;
}

/** MSG_DENIED: RPC_MISMATCH(2, 2) or AUTH_ERROR(authStat). */
export function encodeDeniedReply(w: XdrWriter, xid: number, reject: RejectStat, authStat?: AuthStat): XdrWriter {
  w.uint32(xid).uint32(MSG_REPLY).uint32(MSG_DENIED).uint32(reject);
  if (reject === RPC_MISMATCH) return w.uint32(RPC_VERSION).uint32(RPC_VERSION);
  return w.uint32(authStat ?? AuthStat.AUTH_BADCRED);
}

/** A decoded reply (client side). `body` is positioned at the procedure results. */
export type RpcReply =
  | {
      xid: number;
      kind: 'accepted';
      acceptStat: AcceptStat;
      verf: OpaqueAuth;
      mismatch?: { low: number; high: number };
      body: XdrReader;
    }
  | {
      xid: number;
      kind: 'denied';
      rejectStat: RejectStat;
      authStat?: AuthStat;
      mismatch?: { low: number; high: number };
    };

/** Decode a reply message; throws XdrError when it is malformed or not a reply. */
export function decodeReply(msg: Buffer): RpcReply {
  const r = new XdrReader(msg);
  const xid = r.uint32();
  if (r.uint32() !== MSG_REPLY) throw new XdrError('not an RPC reply');
  const replyStat = r.uint32();
  if (replyStat === MSG_ACCEPTED) {
    const verf = decodeOpaqueAuth(r);
    if (!verf) throw new XdrError('reply verifier too long');
    const acceptStat = r.uint32() as AcceptStat;
    if (acceptStat > AcceptStat.SYSTEM_ERR) throw new XdrError(`unknown accept_stat ${acceptStat}`);
    if (acceptStat === AcceptStat.PROG_MISMATCH) {
      const low = r.uint32();
      const high = r.uint32();
      return { xid, kind: 'accepted', acceptStat, verf, mismatch: { low, high }, body: r };
    }
    return { xid, kind: 'accepted', acceptStat, verf, body: r };
  }
  if (replyStat !== MSG_DENIED) throw new XdrError(`unknown reply_stat ${replyStat}`);
  const rejectStat = r.uint32();
  if (rejectStat === RPC_MISMATCH) {
    const low = r.uint32();
    const high = r.uint32();
    return { xid, kind: 'denied', rejectStat, mismatch: { low, high } };
  }
  if (rejectStat !== AUTH_ERROR) throw new XdrError(`unknown reject_stat ${rejectStat}`);
  return { xid, kind: 'denied', rejectStat, authStat: r.uint32() as AuthStat };
}
