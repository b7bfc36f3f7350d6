import { createCipheriv, createDecipheriv, randomBytes, type CipherCCMTypes, type CipherGCMTypes } from 'node:crypto';
import {
  Cipher,
  TRANSFORM_AAD_OFFSET,
  TRANSFORM_FLAG_ENCRYPTED,
  TRANSFORM_FLAGS_OFFSET,
  TRANSFORM_HEADER_SIZE,
  TRANSFORM_NONCE_OFFSET,
  TRANSFORM_ORIGINAL_SIZE_OFFSET,
  TRANSFORM_PROTOCOL_ID,
  TRANSFORM_SESSION_ID_OFFSET,
  TRANSFORM_TAG_OFFSET,
} from './constants.js';

interface CipherSpec {
  name: CipherCCMTypes | CipherGCMTypes;
  ccm: boolean;
  keyLength: number;
  /** MS-SMB2 §2.2.41: 11 nonce bytes for CCM, 12 for GCM; the rest of the 16-byte field is zero. */
  nonceLength: number;
}

const CIPHERS: Record<number, CipherSpec> = {
  [Cipher.AES_128_CCM]: { name: 'aes-128-ccm', ccm: true, keyLength: 16, nonceLength: 11 },
  [Cipher.AES_128_GCM]: { name: 'aes-128-gcm', ccm: false, keyLength: 16, nonceLength: 12 },
  [Cipher.AES_256_CCM]: { name: 'aes-256-ccm', ccm: true, keyLength: 32, nonceLength: 11 },
  [Cipher.AES_256_GCM]: { name: 'aes-256-gcm', ccm: false, keyLength: 32, nonceLength: 12 },
};

function spec(cipher: number, key: Buffer): CipherSpec {
  const s = CIPHERS[cipher];
  if (!s) throw new RangeError(`unknown SMB2 cipher ${cipher}`);
  if (key.length !== s.keyLength) throw new RangeError(`cipher ${cipher} needs a ${s.keyLength}-byte key`);
  return s;
}

/**
 * MS-SMB2 §3.1.4.3: encrypts one SMB2 message (or a whole compound chain)
 * into TRANSFORM_HEADER || ciphertext. The AEAD tag goes into the header's
 * Signature field; the associated data is the header from Nonce onwards.
 * Pass `nonce` from a per-key NonceGenerator; without one a random nonce
 * is used (fine for tests and short sessions, but random 88-bit CCM nonces
 * have a birthday bound). A 16-byte `nonce` is written to the Nonce field
 * verbatim (what the published test vectors do).
 */
export function encryptMessage(
  cipher: number,
  key: Buffer,
  message: Buffer,
  sessionId: bigint,
  nonce?: Buffer,
): Buffer {
  const s = spec(cipher, key);
  const out = Buffer.allocUnsafe(TRANSFORM_HEADER_SIZE + message.length);
  out.fill(0, 0, TRANSFORM_HEADER_SIZE);
  out.writeUInt32LE(TRANSFORM_PROTOCOL_ID, 0);
  if (nonce) nonce.copy(out, TRANSFORM_NONCE_OFFSET, 0, Math.min(nonce.length, 16));
  else randomBytes(s.nonceLength).copy(out, TRANSFORM_NONCE_OFFSET);
  out.writeUInt32LE(message.length, TRANSFORM_ORIGINAL_SIZE_OFFSET);
  out.writeUInt16LE(TRANSFORM_FLAG_ENCRYPTED, TRANSFORM_FLAGS_OFFSET);
  out.writeBigUInt64LE(BigInt.asUintN(64, sessionId), TRANSFORM_SESSION_ID_OFFSET);
  const iv = out.subarray(TRANSFORM_NONCE_OFFSET, TRANSFORM_NONCE_OFFSET + s.nonceLength);
  const aad = out.subarray(TRANSFORM_AAD_OFFSET, TRANSFORM_HEADER_SIZE);
  let body: Buffer;
  let tag: Buffer;
  if (s.ccm) {
    const c = createCipheriv(s.name as CipherCCMTypes, key, iv, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: message.length });
    body = c.update(message);
    c.final();
    tag = c.getAuthTag();
  } else {
    const c = createCipheriv(s.name as CipherGCMTypes, key, iv, { authTagLength: 16 });
    c.setAAD(aad);
    body = c.update(message);
    c.final();
    tag = c.getAuthTag();
  }
  body.copy(out, TRANSFORM_HEADER_SIZE);
  tag.copy(out, TRANSFORM_TAG_OFFSET);
  return out;
}

/**
 * Unique nonces for one encryption key (MS-SMB2 §3.1.4.3: a nonce must
 * never repeat under a key). A 64-bit counter fills the first 8 bytes and
 * a random per-generator salt the rest of the cipher's nonce (3 bytes for
 * CCM, 4 for GCM), so no birthday bound applies within a session.
 */
export class NonceGenerator {
  private counter = 0n;
  private readonly salt: Buffer;
  private readonly nonceLength: number;

  constructor(cipher: number) {
    const s = CIPHERS[cipher];
    if (!s) throw new RangeError(`unknown SMB2 cipher ${cipher}`);
    this.nonceLength = s.nonceLength;
    this.salt = randomBytes(s.nonceLength - 8);
  }

  /** The next 16-byte Nonce field (the bytes after the cipher's nonce length are zero). */
  next(): Buffer {
    const out = Buffer.alloc(16);
    out.writeBigUInt64LE(this.counter, 0);
    this.counter = BigInt.asUintN(64, this.counter + 1n);
    this.salt.copy(out, 8);
    return out.fill(0, this.nonceLength);
  }
}

export interface TransformHeader {
  sessionId: bigint;
  originalMessageSize: number;
  flags: number;
}

/** True when `buf` starts with the TRANSFORM_HEADER protocol id 0xFD 'S' 'M' 'B'. */
export function isTransformMessage(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === TRANSFORM_PROTOCOL_ID;
}

/**
 * The header fields of an encrypted message (the server needs SessionId
 * to find the key), or null when it is not a well-formed TRANSFORM_HEADER
 * (MS-SMB2 §3.3.5.2.1: OriginalMessageSize must match and Flags be 1).
 */
export function readTransformHeader(buf: Buffer): TransformHeader | null {
  if (buf.length < TRANSFORM_HEADER_SIZE || !isTransformMessage(buf)) return null;
  const originalMessageSize = buf.readUInt32LE(TRANSFORM_ORIGINAL_SIZE_OFFSET);
  const flags = buf.readUInt16LE(TRANSFORM_FLAGS_OFFSET);
  if (originalMessageSize !== buf.length - TRANSFORM_HEADER_SIZE || flags !== TRANSFORM_FLAG_ENCRYPTED) return null;
  return { sessionId: buf.readBigUInt64LE(TRANSFORM_SESSION_ID_OFFSET), originalMessageSize, flags };
}

/**
 * MS-SMB2 §3.3.5.2.1.1: decrypts TRANSFORM_HEADER || ciphertext and
 * verifies the tag. Returns the plaintext SMB2 message(s), or null for a
 * malformed header or a failed authentication. Never throws on bad input.
 */
export function decryptMessage(cipher: number, key: Buffer, transformed: Buffer): Buffer | null {
  const s = spec(cipher, key);
  const header = readTransformHeader(transformed);
  if (!header) return null;
  const iv = transformed.subarray(TRANSFORM_NONCE_OFFSET, TRANSFORM_NONCE_OFFSET + s.nonceLength);
  const aad = transformed.subarray(TRANSFORM_AAD_OFFSET, TRANSFORM_HEADER_SIZE);
  const tag = transformed.subarray(TRANSFORM_TAG_OFFSET, TRANSFORM_TAG_OFFSET + 16);
  const body = transformed.subarray(TRANSFORM_HEADER_SIZE);
  try {
    if (s.ccm) {
      const d = createDecipheriv(s.name as CipherCCMTypes, key, iv, { authTagLength: 16 });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: body.length });
      const plain = d.update(body);
      d.final();
      return plain;
    }
    const d = createDecipheriv(s.name as CipherGCMTypes, key, iv, { authTagLength: 16 });
    d.setAuthTag(tag);
    d.setAAD(aad);
    const plain = d.update(body);
    d.final();
    return plain;
  } catch {
    // node:crypto reports a tag mismatch by throwing from update()/final().
    return null;
  }
}
