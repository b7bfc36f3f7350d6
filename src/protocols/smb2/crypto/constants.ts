/** MS-SMB2 §2.2.3: dialect revisions. */
export const Dialect = {
  SMB202: 0x0202,
  SMB21: 0x0210,
  SMB30: 0x0300,
  SMB302: 0x0302,
  SMB311: 0x0311,
} as const;

/** MS-SMB2 §2.2.3.1.2: SMB2_ENCRYPTION_CAPABILITIES cipher ids. */
export const Cipher = {
  AES_128_CCM: 0x0001,
  AES_128_GCM: 0x0002,
  AES_256_CCM: 0x0003,
  AES_256_GCM: 0x0004,
} as const;

/** MS-SMB2 §2.2.3.1.7: SMB2_SIGNING_CAPABILITIES algorithm ids. */
export const SigningAlgorithm = {
  HMAC_SHA256: 0x0000,
  AES_CMAC: 0x0001,
  AES_GMAC: 0x0002,
} as const;
export type SigningAlgorithmId = (typeof SigningAlgorithm)[keyof typeof SigningAlgorithm];

/** MS-SMB2 §2.2.1: header layout used by signing. */
export const SMB2_HEADER_SIZE = 64;
export const SIGNATURE_OFFSET = 48;
export const SIGNATURE_SIZE = 16;
export const FLAGS_OFFSET = 16;
export const COMMAND_OFFSET = 12;
export const MESSAGE_ID_OFFSET = 24;
export const SMB2_FLAGS_SERVER_TO_REDIR = 0x00000001;
export const SMB2_CANCEL = 0x000c;

/** MS-SMB2 §2.2.41: SMB2 TRANSFORM_HEADER. */
export const TRANSFORM_PROTOCOL_ID = 0x424d53fd; // 0xFD 'S' 'M' 'B' read as little-endian u32
export const TRANSFORM_HEADER_SIZE = 52;
/** AES-CCM/GCM tag, stored in the header's Signature field. */
export const TRANSFORM_TAG_OFFSET = 4;
export const TRANSFORM_NONCE_OFFSET = 20;
export const TRANSFORM_ORIGINAL_SIZE_OFFSET = 36;
export const TRANSFORM_FLAGS_OFFSET = 42;
export const TRANSFORM_SESSION_ID_OFFSET = 44;
/** The AEAD's associated data: the header from Nonce to the end (MS-SMB2 §3.1.4.3). */
export const TRANSFORM_AAD_OFFSET = 20;
/** Flags (3.1.1) / EncryptionAlgorithm (3.0.x): both 0x0001. */
export const TRANSFORM_FLAG_ENCRYPTED = 0x0001;
