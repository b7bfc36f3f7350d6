import { timingSafeEqual } from 'node:crypto';
import { NegotiateFlags } from './constants.js';
import { hmacMd5, md5 } from './ntlmv2.js';
import { Rc4 } from './rc4.js';

/** Which side's keys: client-to-server or server-to-client (MS-NLMP §3.4.5.2/§3.4.5.3). */
export type Direction = 'client-to-server' | 'server-to-client';

const SIGN_MAGIC: Record<Direction, Buffer> = {
  'client-to-server': Buffer.from('session key to client-to-server signing key magic constant\0', 'latin1'),
  'server-to-client': Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1'),
};
const SEAL_MAGIC: Record<Direction, Buffer> = {
  'client-to-server': Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1'),
  'server-to-client': Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1'),
};

/** MS-NLMP §3.4.5.2 SIGNKEY with extended session security. */
export function signKey(exportedSessionKey: Buffer, direction: Direction): Buffer {
  return md5(exportedSessionKey, SIGN_MAGIC[direction]);
}

/** MS-NLMP §3.4.5.3 SEALKEY with extended session security: the key is weakened to 56 or 40 bits unless 128 was negotiated. */
export function sealKey(exportedSessionKey: Buffer, flags: number, direction: Direction): Buffer {
  let key = exportedSessionKey;
  if (!(flags & NegotiateFlags.NEGOTIATE_128)) {
    key = exportedSessionKey.subarray(0, flags & NegotiateFlags.NEGOTIATE_56 ? 7 : 5);
  }
  return md5(key, SEAL_MAGIC[direction]);
}

/**
 * MS-NLMP §3.4.4.2 MAC with extended session security: an
 * NTLMSSP_MESSAGE_SIGNATURE of Version=1, Checksum = first 8 bytes of
 * HMAC_MD5(SigningKey, SeqNum + Message), RC4-encrypted with the sealing
 * handle when KEY_EXCH was negotiated, then SeqNum.
 */
export function macSignature(
  signingKey: Buffer,
  sealingHandle: Rc4 | undefined,
  seqNum: number,
  message: Buffer,
): Buffer {
  const seq = Buffer.alloc(4);
  seq.writeUInt32LE(seqNum >>> 0);
  let checksum = hmacMd5(signingKey, seq, message).subarray(0, 8);
  if (sealingHandle) checksum = sealingHandle.update(checksum);
  const out = Buffer.alloc(16);
  out.writeUInt32LE(1, 0);
  checksum.copy(out, 4);
  seq.copy(out, 12);
  return out;
}

/**
 * GSS_GetMIC/GSS_VerifyMIC for one direction of an established NTLM context
 * (MS-NLMP §3.4.4). Each instance keeps its own RC4 sealing handle and
 * sequence number, as the spec's per-direction state does.
 */
export class NtlmIntegrity {
  private readonly signingKey: Buffer;
  private readonly handle: Rc4 | undefined;
  private seqNum = 0;

  constructor(exportedSessionKey: Buffer, flags: number, direction: Direction) {
    this.signingKey = signKey(exportedSessionKey, direction);
    this.handle = flags & NegotiateFlags.KEY_EXCH ? new Rc4(sealKey(exportedSessionKey, flags, direction)) : undefined;
  }

  /** The signature of `message` with the next sequence number. */
  sign(message: Buffer): Buffer {
    return macSignature(this.signingKey, this.handle, this.seqNum++, message);
  }

  /** Whether `signature` is the next expected signature of `message` (constant-time comparison). */
  verify(message: Buffer, signature: Buffer): boolean {
    const expected = this.sign(message);
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}
