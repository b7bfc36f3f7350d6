/** SMB2/3 cryptography: signing (MS-SMB2 §3.1.4.1), key derivation (§3.1.4.2), encryption (§3.1.4.3). */
export { aesCmac, aesCmacParts } from './aes-cmac.js';
export { Cipher, Dialect, SigningAlgorithm, type SigningAlgorithmId } from './constants.js';
export {
  decryptMessage,
  encryptMessage,
  isTransformMessage,
  readTransformHeader,
  type TransformHeader,
} from './encryption.js';
export { smb3Kdf, sp800108CounterHmacSha256 } from './kdf.js';
export { deriveSessionKeys, PREAUTH_HASH_INITIAL, preauthHashUpdate, type SessionKeys } from './session-keys.js';
export { defaultSigningAlgorithm, signMessage, verifySignature } from './signing.js';
