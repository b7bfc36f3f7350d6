import { createHash } from 'node:crypto';
import { Cipher, Dialect } from './constants.js';
import { smb3Kdf } from './kdf.js';

export interface SessionKeys {
  /** Signs messages (and, in 2.x, is the session key itself). */
  signingKey: Buffer;
  /** Server→client encryption key (3.x only). */
  encryptionKey: Buffer | undefined;
  /** Client→server: the key the server decrypts with (3.x only). */
  decryptionKey: Buffer | undefined;
  /** For upper layers (named pipes, etc.); the session key itself before 3.0. */
  applicationKey: Buffer;
}

const is256 = (cipher: number | undefined) => cipher === Cipher.AES_256_CCM || cipher === Cipher.AES_256_GCM;

/**
 * MS-SMB2 §3.3.5.5.3 (server side of §3.2.5.3.1): session keys per dialect.
 * `sessionKey` is the GSS session key (NTLM's ExportedSessionKey); only its
 * first 16 bytes are Session.SessionKey, except that AES-256 ciphers derive
 * 256-bit encryption keys from the full key (Session.FullSessionKey).
 * `preauthHash` (3.1.1) is Session.PreauthIntegrityHashValue after the
 * final SESSION_SETUP request.
 */
export function deriveSessionKeys(
  dialect: number,
  sessionKey: Buffer,
  preauthHash?: Buffer,
  cipher?: number,
): SessionKeys {
  const key16 = Buffer.alloc(16);
  sessionKey.copy(key16, 0, 0, 16);
  if (dialect < Dialect.SMB30) {
    return { signingKey: key16, encryptionKey: undefined, decryptionKey: undefined, applicationKey: key16 };
  }
  const cipherBits = is256(cipher) ? 256 : 128;
  const cipherKeyInput = is256(cipher) ? sessionKey : key16;
  if (dialect === Dialect.SMB311) {
    if (!preauthHash || preauthHash.length !== 64)
      throw new RangeError('SMB 3.1.1 needs the 64-byte preauth integrity hash');
    return {
      signingKey: smb3Kdf(key16, 'SMBSigningKey', preauthHash),
      encryptionKey: smb3Kdf(cipherKeyInput, 'SMBS2CCipherKey', preauthHash, cipherBits),
      decryptionKey: smb3Kdf(cipherKeyInput, 'SMBC2SCipherKey', preauthHash, cipherBits),
      applicationKey: smb3Kdf(key16, 'SMBAppKey', preauthHash),
    };
  }
  // MS-SMB2 §3.1.4.2 for 3.0/3.0.2: fixed labels and contexts ("ServerIn " has a trailing space).
  return {
    signingKey: smb3Kdf(key16, 'SMB2AESCMAC', 'SmbSign'),
    encryptionKey: smb3Kdf(key16, 'SMB2AESCCM', 'ServerOut'),
    decryptionKey: smb3Kdf(key16, 'SMB2AESCCM', 'ServerIn '),
    applicationKey: smb3Kdf(key16, 'SMB2APP', 'SmbRpc'),
  };
}

/**
 * MS-SMB2 §3.3.5.4 / §3.3.5.5: PreauthIntegrityHashValue = SHA-512(previous || message),
 * starting from 64 zero bytes.
 */
export function preauthHashUpdate(previous: Buffer, message: Buffer): Buffer {
  return createHash('sha512').update(previous).update(message).digest();
}

export const PREAUTH_HASH_INITIAL: Buffer = Buffer.alloc(64);
