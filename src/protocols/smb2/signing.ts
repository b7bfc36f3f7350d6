import type { Smb2Signing } from './context.js';
import { deriveSessionKeys, signMessage, verifySignature } from './crypto/index.js';

/** Where the 16-byte signature sits in the SMB2 header (MS-SMB2 §2.2.1). */
const SIGNATURE_OFFSET = 48;

/**
 * Signing through the crypto engine (./crypto): HMAC-SHA256 for 2.x,
 * AES-CMAC for 3.x (also what 3.1.1 negotiates: the server only offers
 * AES-CMAC in SIGNING_CAPABILITIES).
 */
export const cryptoSigning: Smb2Signing = {
  signingKey: (dialect, sessionKey, preauthHash) => deriveSessionKeys(dialect, sessionKey, preauthHash).signingKey,
  sign(dialect, key, msg) {
    signMessage(dialect, key, msg).copy(msg, SIGNATURE_OFFSET);
  },
  verify: (dialect, key, msg) => verifySignature(dialect, key, msg),
};
