import { createHash, createHmac } from 'node:crypto';
import { AUTHENTICATE_MIC_OFFSET, MIC_LENGTH } from './constants.js';
import { rc4 } from './rc4.js';

/** HMAC_MD5(K, M) of MS-NLMP §6 over the concatenation of `parts`. */
export function hmacMd5(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * MS-NLMP §3.3.2 NTOWFv2: HMAC_MD5(NTOWFv1(Passwd), UNICODE(Uppercase(User) + UserDom)).
 * The user name is uppercased; the domain is used exactly as the client sent it.
 */
export function ntowfV2(ntHash: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHash, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
}

/** MS-NLMP §3.3.2: NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge + temp). */
export function ntProofStr(responseKeyNt: Buffer, serverChallenge: Buffer, temp: Buffer): Buffer {
  return hmacMd5(responseKeyNt, serverChallenge, temp);
}

/** MS-NLMP §3.3.2: SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr); for NTLMv2 it is also the KeyExchangeKey (§3.4.5.1). */
export function sessionBaseKey(responseKeyNt: Buffer, proof: Buffer): Buffer {
  return hmacMd5(responseKeyNt, proof);
}

/**
 * MS-NLMP §3.3.2: temp = Responserversion(1) HiResponserversion(1) Z(6)
 * Time ClientChallenge Z(4) ServerName(AV pairs incl. EOL) Z(4).
 */
export function ntlmv2ClientBlob(time: Buffer, clientChallenge: Buffer, avPairs: Buffer): Buffer {
  const head = Buffer.alloc(28);
  head[0] = 1;
  head[1] = 1;
  time.copy(head, 8, 0, 8);
  clientChallenge.copy(head, 16, 0, 8);
  return Buffer.concat([head, avPairs, Buffer.alloc(4)]);
}

/**
 * MS-NLMP §3.1.5.1.2/§3.2.5.1.2: with NTLMSSP_NEGOTIATE_KEY_EXCH the client
 * sends RC4K(KeyExchangeKey, ExportedSessionKey); the server decrypts it.
 * RC4 is its own inverse, so one function serves both sides.
 */
export function exchangeSessionKey(keyExchangeKey: Buffer, key: Buffer): Buffer {
  return rc4(keyExchangeKey, key);
}

/**
 * MS-NLMP §3.1.5.1.2: MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE + CHALLENGE + AUTHENTICATE)
 * with the AUTHENTICATE message's MIC field set to zero.
 */
export function computeMic(
  exportedSessionKey: Buffer,
  negotiate: Buffer,
  challenge: Buffer,
  authenticate: Buffer,
): Buffer {
  const zeroed = Buffer.from(authenticate);
  zeroed.fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + MIC_LENGTH);
  return hmacMd5(exportedSessionKey, negotiate, challenge, zeroed);
}
