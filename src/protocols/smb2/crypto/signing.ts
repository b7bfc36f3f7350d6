import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { aesCmacParts } from './aes-cmac.js';
import {
  COMMAND_OFFSET,
  Dialect,
  FLAGS_OFFSET,
  MESSAGE_ID_OFFSET,
  SIGNATURE_OFFSET,
  SIGNATURE_SIZE,
  SigningAlgorithm,
  SMB2_CANCEL,
  SMB2_FLAGS_SERVER_TO_REDIR,
  SMB2_HEADER_SIZE,
  type SigningAlgorithmId,
} from './constants.js';

const ZERO_SIGNATURE = Buffer.alloc(SIGNATURE_SIZE);

/** MS-SMB2 §3.1.4.1: the algorithm a dialect uses unless 3.1.1 negotiated another (SMB2_SIGNING_CAPABILITIES). */
export function defaultSigningAlgorithm(dialect: number): SigningAlgorithmId {
  return dialect >= Dialect.SMB30 ? SigningAlgorithm.AES_CMAC : SigningAlgorithm.HMAC_SHA256;
}

/**
 * MS-SMB2 §3.1.4.1: the 16-byte signature of one SMB2 message (one
 * element of a compound chain: pass exactly its bytes), computed as if the
 * Signature field were zero; `message` itself is not modified.
 * 2.0.2/2.1: HMAC-SHA256 truncated to 16 bytes; 3.x: AES-128-CMAC;
 * 3.1.1 with AES-GMAC negotiated: GMAC with a nonce from MessageId.
 */
export function signMessage(
  dialect: number,
  signingKey: Buffer,
  message: Buffer,
  algorithm?: SigningAlgorithmId,
): Buffer {
  if (message.length < SMB2_HEADER_SIZE) throw new RangeError('SMB2 message shorter than its header');
  const head = message.subarray(0, SIGNATURE_OFFSET);
  const tail = message.subarray(SIGNATURE_OFFSET + SIGNATURE_SIZE);
  switch (algorithm ?? defaultSigningAlgorithm(dialect)) {
    case SigningAlgorithm.HMAC_SHA256:
      return createHmac('sha256', signingKey).update(head).update(ZERO_SIGNATURE).update(tail).digest().subarray(0, 16);
    case SigningAlgorithm.AES_CMAC:
      return aesCmacParts(signingKey, [head, ZERO_SIGNATURE, tail]);
    case SigningAlgorithm.AES_GMAC:
      return aesGmac(signingKey, message, head, tail);
    default:
      throw new RangeError(`unknown signing algorithm ${String(algorithm)}`);
  }
}

/**
 * MS-SMB2 §3.1.4.1 (AES-GMAC): nonce = MessageId (8 bytes) then a 32-bit
 * field with bit 0 = response (SMB2_FLAGS_SERVER_TO_REDIR) and bit 1 =
 * CANCEL request; the tag of AES-128-GCM over empty plaintext with the
 * message as associated data.
 */
function aesGmac(key: Buffer, message: Buffer, head: Buffer, tail: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  message.copy(nonce, 0, MESSAGE_ID_OFFSET, MESSAGE_ID_OFFSET + 8);
  const isResponse = (message.readUInt32LE(FLAGS_OFFSET) & SMB2_FLAGS_SERVER_TO_REDIR) !== 0;
  const isCancel = message.readUInt16LE(COMMAND_OFFSET) === SMB2_CANCEL;
  nonce.writeUInt32LE((isResponse ? 1 : 0) | (isCancel ? 2 : 0), 8);
  const gcm = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
  gcm.setAAD(Buffer.concat([head, ZERO_SIGNATURE, tail]));
  gcm.final();
  return gcm.getAuthTag();
}

/** Whether the Signature field of `message` is its correct signature (constant-time). False for short input. */
export function verifySignature(
  dialect: number,
  signingKey: Buffer,
  message: Buffer,
  algorithm?: SigningAlgorithmId,
): boolean {
  if (message.length < SMB2_HEADER_SIZE) return false;
  const expected = signMessage(dialect, signingKey, message, algorithm);
  return timingSafeEqual(expected, message.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_SIZE));
}
