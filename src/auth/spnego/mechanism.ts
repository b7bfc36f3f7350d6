import type { AuthResult } from '../api.js';

/**
 * What SPNEGO needs from a GSS mechanism (NTLM now, Kerberos later): a
 * per-exchange context that consumes mechanism tokens, and, once
 * established, GSS_GetMIC/GSS_VerifyMIC for the mechListMIC (RFC 4178 §5).
 */
export interface Mechanism {
  /** Dotted OID, e.g. 1.3.6.1.4.1.311.2.2.10 for NTLMSSP. */
  readonly oid: string;
  newContext(): MechanismContext;
}

export interface MechanismContext {
  /** Consumes one mechanism token. Never throws on malformed input. */
  step(token: Buffer): Promise<MechanismStep>;
}

export type MechanismStep =
  | { state: 'continue'; token: Buffer }
  | { state: 'done'; token?: Buffer; result: AuthResult; integrity: MechanismIntegrity }
  | { state: 'denied'; reason: string };

/** Per-context message integrity (GSS_GetMIC / GSS_VerifyMIC) for the mechListMIC. */
export interface MechanismIntegrity {
  /**
   * Whether the peer takes part in the mechListMIC exchange. MS-SPNG
   * §3.3.5.1: an NTLM client that sent a MIC in AUTHENTICATE also sends and
   * expects a mechListMIC; older NTLM clients do neither.
   */
  readonly peerSupportsMechListMic: boolean;
  /** GSS_VerifyMIC of the initiator's token over `data`. */
  verifyPeerMic(data: Buffer, mic: Buffer): boolean;
  /** GSS_GetMIC of the acceptor over `data`. */
  getMic(data: Buffer): Buffer;
}
