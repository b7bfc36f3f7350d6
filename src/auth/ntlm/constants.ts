/** MS-NLMP §2.2.1: every NTLMSSP message starts with "NTLMSSP\0". */
export const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/** MS-NLMP §2.2.1: MessageType. */
export const MessageType = {
  NEGOTIATE: 1,
  CHALLENGE: 2,
  AUTHENTICATE: 3,
} as const;

/** MS-NLMP §2.2.2.5 NEGOTIATE flags (the subset this server reads or sets). */
export const NegotiateFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  NEGOTIATE_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  NEGOTIATE_56: 0x80000000,
} as const;

/** MS-NLMP §2.2.2.1 AV_PAIR AvId values. */
export const AvId = {
  EOL: 0,
  NB_COMPUTER_NAME: 1,
  NB_DOMAIN_NAME: 2,
  DNS_COMPUTER_NAME: 3,
  DNS_DOMAIN_NAME: 4,
  DNS_TREE_NAME: 5,
  FLAGS: 6,
  TIMESTAMP: 7,
  SINGLE_HOST: 8,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

/** MS-NLMP §2.2.2.1 MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const MSV_AV_FLAG_MIC_PRESENT = 0x00000002;

/** MS-NLMP §2.2.1.3: offset of the MIC field in AUTHENTICATE_MESSAGE (after the 8-byte Version). */
export const AUTHENTICATE_MIC_OFFSET = 72;
export const MIC_LENGTH = 16;

/** MS-NLMP §2.2.2.7: NTLMv2_CLIENT_CHALLENGE fixed part (RespType .. Reserved3) is 28 bytes. */
export const NTLMV2_CLIENT_CHALLENGE_HEADER = 28;
/** NTProofStr length (HMAC-MD5 output). */
export const NT_PROOF_LENGTH = 16;

/** MS-NLMP §2.2.2.10 VERSION: the revision this implementation speaks (NTLMSSP_REVISION_W2K3). */
export const NTLMSSP_REVISION_W2K3 = 0x0f;
