import { AUTHENTICATE_MIC_OFFSET, MIC_LENGTH, MessageType, NTLMSSP_SIGNATURE } from './constants.js';
import { hasNtlmHeader, layoutMessage, readPayloadField } from './payload-fields.js';
import { encodeVersion } from './version.js';

/** MS-NLMP §2.2.1.3 AUTHENTICATE_MESSAGE (payload fields as raw views into the message). */
export interface AuthenticateMessage {
  flags: number;
  lmResponse: Buffer;
  ntResponse: Buffer;
  /** Raw DomainName (UTF-16LE when Unicode). */
  domain: Buffer;
  /** Raw UserName. */
  user: Buffer;
  /** Raw Workstation. */
  workstation: Buffer;
  encryptedRandomSessionKey: Buffer;
}

/** Fixed part before the payload: up to and including Version (MS-NLMP §2.2.1.3). */
const HEADER_WITHOUT_MIC = 72;
/** With the 16-byte MIC after Version. */
export const HEADER_WITH_MIC = AUTHENTICATE_MIC_OFFSET + MIC_LENGTH;

/** Decodes an AUTHENTICATE_MESSAGE; undefined when any field lies outside the message. */
export function decodeAuthenticate(msg: Buffer): AuthenticateMessage | undefined {
  if (!hasNtlmHeader(msg, NTLMSSP_SIGNATURE, MessageType.AUTHENTICATE) || msg.length < 64) return undefined;
  const lmResponse = readPayloadField(msg, 12);
  const ntResponse = readPayloadField(msg, 20);
  const domain = readPayloadField(msg, 28);
  const user = readPayloadField(msg, 36);
  const workstation = readPayloadField(msg, 44);
  const encryptedRandomSessionKey = readPayloadField(msg, 52);
  if (
    lmResponse === undefined ||
    ntResponse === undefined ||
    domain === undefined ||
    user === undefined ||
    workstation === undefined ||
    encryptedRandomSessionKey === undefined
  ) {
    return undefined;
  }
  return {
    flags: msg.readUInt32LE(60),
    lmResponse,
    ntResponse,
    domain,
    user,
    workstation,
    encryptedRandomSessionKey,
  };
}

/**
 * Encodes an AUTHENTICATE_MESSAGE (the client side). With `withMic` the
 * header reserves the zeroed 16-byte MIC at offset 72, to be filled in
 * once the MIC over all three messages is known (MS-NLMP §3.1.5.1.2).
 */
export function encodeAuthenticate(m: AuthenticateMessage, withMic: boolean): Buffer {
  const header = Buffer.alloc(withMic ? HEADER_WITH_MIC : HEADER_WITHOUT_MIC);
  NTLMSSP_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.AUTHENTICATE, 8);
  header.writeUInt32LE(m.flags >>> 0, 60);
  encodeVersion().copy(header, 64);
  return layoutMessage(header, [
    [12, m.lmResponse],
    [20, m.ntResponse],
    [28, m.domain],
    [36, m.user],
    [44, m.workstation],
    [52, m.encryptedRandomSessionKey],
  ]);
}
