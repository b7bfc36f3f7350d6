import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';

/** RFC 5531 §8.2 authentication flavors this server understands. */
export const AUTH_NONE = 0;
export const AUTH_SYS = 1;
export const AUTH_SHORT = 2;
export const RPCSEC_GSS = 6;

export interface OpaqueAuth {
  flavor: number;
  body: Buffer;
}

/** RFC 5531 Appendix A: AUTH_SYS credentials (lengths checked on decode). */
export interface AuthSysParams {
  stamp: number;
  machineName: string;
  uid: number;
  gid: number;
  gids: number[];
}

export interface RpcPeer {
  transport: 'tcp' | 'udp';
  address: string;
  port: number;
  /** Stable per TCP connection; for UDP, per (address, port). */
  connectionId: number;
  /** Address and port the request arrived on (for UDP, the bound address, possibly 0.0.0.0). */
  localAddress?: string;
  localPort?: number;
}

/** A decoded call header, handed to a program together with its argument reader. */
export interface RpcCall {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  cred: OpaqueAuth;
  verf: OpaqueAuth;
  /** Present when cred.flavor is AUTH_SYS. */
  authSys?: AuthSysParams;
  peer: RpcPeer;
}

/**
 * What a procedure handler returns. 'success' means the result body was
 * written to the reply writer; the other values make the RPC layer send the
 * matching RFC 5531 §9 reply (or none, for 'drop').
 */
export type RpcOutcome = 'success' | 'proc_unavail' | 'garbage_args' | 'system_err' | 'drop' | { authError: number };

/** One RPC program (NFS, MOUNT, portmap, NLM, ...) served by the RPC server. */
export interface RpcProgram {
  readonly prog: number;
  readonly name: string;
  /** Lowest and highest version served (PROG_MISMATCH reports these). */
  readonly minVers: number;
  readonly maxVers: number;
  /** Versions inside [minVers, maxVers] that are not served, if any. */
  supportsVersion?(vers: number): boolean;
  /**
   * Decode arguments from `args`, run the procedure, encode results into
   * `reply`. Throwing XdrError yields GARBAGE_ARGS; any other throw,
   * SYSTEM_ERR.
   */
  handle(call: RpcCall, args: XdrReader, reply: XdrWriter): Promise<RpcOutcome>;
  /**
   * True for procedures whose retransmission must not run twice
   * (CREATE, REMOVE, RENAME, ...): their replies are kept in the
   * duplicate-request cache.
   */
  isNonIdempotent?(vers: number, proc: number): boolean;
}

/** RFC 5531 §9 accept_stat. */
export enum AcceptStat {
  SUCCESS = 0,
  PROG_UNAVAIL = 1,
  PROG_MISMATCH = 2,
  PROC_UNAVAIL = 3,
  GARBAGE_ARGS = 4,
  SYSTEM_ERR = 5,
}

/** RFC 5531 §9 auth_stat. */
export enum AuthStat {
  AUTH_OK = 0,
  AUTH_BADCRED = 1,
  AUTH_REJECTEDCRED = 2,
  AUTH_BADVERF = 3,
  AUTH_REJECTEDVERF = 4,
  AUTH_TOOWEAK = 5,
}
