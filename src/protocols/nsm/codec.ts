/**
 * NSM codecs (XNFS §11.2). Decoders bound every string and fixed-size
 * opaque through XdrReader (XdrError → GARBAGE_ARGS); encoders serve the
 * server's replies and its own calls (SM_NOTIFY to peers, status callbacks).
 */
import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import { SM_MAXSTRLEN, SM_PRIV_SIZE, type NsmRes } from './constants.js';

/** my_id: the local RPC procedure statd calls back when a monitored host changes state. */
export interface MyId {
  myName: string;
  prog: number;
  vers: number;
  proc: number;
}

/** mon_id: which host to monitor, on whose behalf. */
export interface MonId {
  monName: string;
  myId: MyId;
}

/** mon: SM_MON's argument. */
export interface Mon {
  monId: MonId;
  priv: Buffer;
}

/** stat_chge: SM_NOTIFY's argument (a host announcing its new state). */
export interface StatChange {
  monName: string;
  state: number;
}

/** status: the callback's argument (the monitored host's new state, plus the caller's priv). */
export interface StatusCallback {
  monName: string;
  state: number;
  priv: Buffer;
}

export function decodeSmName(r: XdrReader): string {
  return r.string(SM_MAXSTRLEN);
}

export function decodeMyId(r: XdrReader): MyId {
  return { myName: r.string(SM_MAXSTRLEN), prog: r.uint32(), vers: r.uint32(), proc: r.uint32() };
}

export function decodeMonId(r: XdrReader): MonId {
  return { monName: r.string(SM_MAXSTRLEN), myId: decodeMyId(r) };
}

export function decodeMon(r: XdrReader): Mon {
  return { monId: decodeMonId(r), priv: r.fixedOpaque(SM_PRIV_SIZE) };
}

export function decodeStatChange(r: XdrReader): StatChange {
  return { monName: r.string(SM_MAXSTRLEN), state: r.int32() };
}

export function decodeStatusCallback(r: XdrReader): StatusCallback {
  return { monName: r.string(SM_MAXSTRLEN), state: r.int32(), priv: r.fixedOpaque(SM_PRIV_SIZE) };
}

export function encodeMyId(w: XdrWriter, m: MyId): void {
  w.string(m.myName).uint32(m.prog).uint32(m.vers).uint32(m.proc);
}

export function encodeMon(w: XdrWriter, m: Mon): void {
  w.string(m.monId.monName);
  encodeMyId(w, m.monId.myId);
  w.fixedOpaque(m.priv);
}

export function encodeMonId(w: XdrWriter, m: MonId): void {
  w.string(m.monName);
  encodeMyId(w, m.myId);
}

export function encodeStatChange(w: XdrWriter, s: StatChange): void {
  w.string(s.monName).int32(s.state);
}

export function encodeStatusCallback(w: XdrWriter, s: StatusCallback): void {
  w.string(s.monName).int32(s.state).fixedOpaque(s.priv);
}

/** sm_stat_res (SM_STAT, SM_MON). */
export function encodeStatRes(w: XdrWriter, res: NsmRes, state: number): void {
  w.uint32(res).int32(state);
}

/** sm_stat (SM_UNMON, SM_UNMON_ALL). */
export function encodeStat(w: XdrWriter, state: number): void {
  w.int32(state);
}
