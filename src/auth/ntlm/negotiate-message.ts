import { MessageType, NTLMSSP_SIGNATURE, NegotiateFlags } from './constants.js';
import { hasNtlmHeader, layoutMessage } from './payload-fields.js';
import { encodeVersion } from './version.js';

/** MS-NLMP §2.2.1.1 NEGOTIATE_MESSAGE: only the flags matter to the server. */
export interface NegotiateMessage {
  flags: number;
}

/** Decodes a NEGOTIATE_MESSAGE; undefined when it is not one. Old clients send only the first 16 bytes. */
export function decodeNegotiate(msg: Buffer): NegotiateMessage | undefined {
  if (!hasNtlmHeader(msg, NTLMSSP_SIGNATURE, MessageType.NEGOTIATE) || msg.length < 16) return undefined;
  return { flags: msg.readUInt32LE(12) };
}

/** Encodes a NEGOTIATE_MESSAGE with empty domain and workstation (the client side). */
export function encodeNegotiate(flags: number): Buffer {
  const header = Buffer.alloc(40);
  NTLMSSP_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.NEGOTIATE, 8);
  header.writeUInt32LE((flags | NegotiateFlags.VERSION) >>> 0, 12);
  encodeVersion().copy(header, 32);
  return layoutMessage(header, [
    [16, Buffer.alloc(0)],
    [24, Buffer.alloc(0)],
  ]);
}
