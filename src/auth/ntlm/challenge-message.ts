import { MessageType, NTLMSSP_SIGNATURE } from './constants.js';
import { hasNtlmHeader, layoutMessage, readPayloadField } from './payload-fields.js';
import { encodeVersion } from './version.js';

/** MS-NLMP §2.2.1.2 CHALLENGE_MESSAGE. */
export interface ChallengeMessage {
  flags: number;
  /** 8 bytes. */
  serverChallenge: Buffer;
  /** Raw TargetName (UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE). */
  targetName: Buffer;
  /** Raw TargetInfo AV_PAIR list. */
  targetInfo: Buffer;
}

const HEADER = 56;

export function encodeChallenge(m: ChallengeMessage): Buffer {
  const header = Buffer.alloc(HEADER);
  NTLMSSP_SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.CHALLENGE, 8);
  header.writeUInt32LE(m.flags >>> 0, 20);
  m.serverChallenge.copy(header, 24, 0, 8);
  encodeVersion().copy(header, 48);
  return layoutMessage(header, [
    [12, m.targetName],
    [40, m.targetInfo],
  ]);
}

/** Decodes a CHALLENGE_MESSAGE (the client side); undefined when malformed. */
export function decodeChallenge(msg: Buffer): ChallengeMessage | undefined {
  if (!hasNtlmHeader(msg, NTLMSSP_SIGNATURE, MessageType.CHALLENGE) || msg.length < 48) return undefined;
  const targetName = readPayloadField(msg, 12);
  const targetInfo = readPayloadField(msg, 40);
  if (targetName === undefined || targetInfo === undefined) return undefined;
  return {
    flags: msg.readUInt32LE(20),
    serverChallenge: Buffer.from(msg.subarray(24, 32)),
    targetName: Buffer.from(targetName),
    targetInfo: Buffer.from(targetInfo),
  };
}
