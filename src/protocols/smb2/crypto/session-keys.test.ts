import { describe, expect, it } from 'vitest';
import { Cipher, Dialect } from './constants.js';
import { SMB300, SMB311_ENCRYPTION, SMB311_PREAUTH } from './testing/ms-test-vectors.js';
import { deriveSessionKeys, PREAUTH_HASH_INITIAL, preauthHashUpdate } from './session-keys.js';
import { smb3Kdf } from './kdf.js';

describe('deriveSessionKeys (MS-SMB2 §3.3.5.5.3, Microsoft test vectors)', () => {
  it('3.0: ServerIn is the key the server decrypts with, ServerOut the one it encrypts with', () => {
    const keys = deriveSessionKeys(Dialect.SMB30, SMB300.sessionKey);
    expect(keys.decryptionKey!.equals(SMB300.clientEncryptionKey)).toBe(true);
    expect(keys.encryptionKey!.equals(SMB300.clientDecryptionKey)).toBe(true);
    expect(keys.signingKey.equals(smb3Kdf(SMB300.sessionKey, 'SMB2AESCMAC', 'SmbSign'))).toBe(true);
    expect(keys.applicationKey.equals(smb3Kdf(SMB300.sessionKey, 'SMB2APP', 'SmbRpc'))).toBe(true);
    expect(deriveSessionKeys(Dialect.SMB302, SMB300.sessionKey)).toEqual(keys);
  });

  it('3.1.1: cipher keys from the preauth hash', () => {
    const keys = deriveSessionKeys(
      Dialect.SMB311,
      SMB311_ENCRYPTION.sessionKey,
      SMB311_ENCRYPTION.preauthHash,
      Cipher.AES_128_GCM,
    );
    expect(keys.decryptionKey!.equals(SMB311_ENCRYPTION.clientEncryptionKey)).toBe(true);
    expect(keys.encryptionKey!.equals(SMB311_ENCRYPTION.clientDecryptionKey)).toBe(true);
  });

  it('3.1.1: the signing key from the pre-authentication integrity vector', () => {
    const keys = deriveSessionKeys(Dialect.SMB311, SMB311_PREAUTH.sessionKey, SMB311_PREAUTH.finalHash);
    expect(keys.signingKey.equals(SMB311_PREAUTH.signingKey)).toBe(true);
    expect(keys.applicationKey.equals(smb3Kdf(SMB311_PREAUTH.sessionKey, 'SMBAppKey', SMB311_PREAUTH.finalHash))).toBe(
      true,
    );
  });

  it('preauth hash: SHA-512 chain from 64 zero bytes', () => {
    const h = preauthHashUpdate(PREAUTH_HASH_INITIAL, SMB311_PREAUTH.negotiateRequest);
    expect(h.equals(SMB311_PREAUTH.hashAfterNegotiateRequest)).toBe(true);
  });

  it('AES-256 ciphers get 32-byte keys; signing keys stay 16 bytes', () => {
    const full = Buffer.concat([SMB311_ENCRYPTION.sessionKey, Buffer.alloc(16, 7)]);
    const keys = deriveSessionKeys(Dialect.SMB311, full, SMB311_ENCRYPTION.preauthHash, Cipher.AES_256_GCM);
    expect(keys.encryptionKey!.length).toBe(32);
    expect(keys.decryptionKey!.length).toBe(32);
    expect(keys.signingKey.length).toBe(16);
    // The full session key feeds the 256-bit cipher keys (Session.FullSessionKey).
    const short = deriveSessionKeys(
      Dialect.SMB311,
      SMB311_ENCRYPTION.sessionKey,
      SMB311_ENCRYPTION.preauthHash,
      Cipher.AES_256_GCM,
    );
    expect(short.encryptionKey!.equals(keys.encryptionKey!)).toBe(false);
    expect(short.signingKey.equals(keys.signingKey)).toBe(true);
  });

  it('2.x: the session key signs; no encryption keys; 3.1.1 requires the hash', () => {
    const keys = deriveSessionKeys(Dialect.SMB21, SMB300.sessionKey);
    expect(keys.signingKey.equals(SMB300.sessionKey)).toBe(true);
    expect(keys.encryptionKey).toBeUndefined();
    expect(() => deriveSessionKeys(Dialect.SMB311, SMB300.sessionKey)).toThrow(RangeError);
  });
});
