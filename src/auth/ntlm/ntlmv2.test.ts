import { describe, expect, it } from 'vitest';
import { encodeAvPairs } from './av-pairs.js';
import { AvId } from './constants.js';
import { ntHash } from './nt-hash.js';
import {
  computeMic,
  exchangeSessionKey,
  hmacMd5,
  ntlmv2ClientBlob,
  ntowfV2,
  ntProofStr,
  sessionBaseKey,
} from './ntlmv2.js';

// MS-NLMP §4.2.1 common values and §4.2.4 NTLMv2 results.
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const serverChallenge = hex('0123456789abcdef');
const clientChallenge = Buffer.alloc(8, 0xaa);
const time = Buffer.alloc(8);
const randomSessionKey = Buffer.alloc(16, 0x55);
const avPairs = encodeAvPairs([
  [AvId.NB_DOMAIN_NAME, Buffer.from('Domain', 'utf16le')],
  [AvId.NB_COMPUTER_NAME, Buffer.from('Server', 'utf16le')],
]);

describe('NTLMv2 (MS-NLMP §4.2.4 test vectors)', () => {
  const responseKeyNt = ntowfV2(ntHash('Password'), 'User', 'Domain');
  const temp = ntlmv2ClientBlob(time, clientChallenge, avPairs);

  it('NTOWFv2 uppercases the user and keeps the domain as sent', () => {
    expect(responseKeyNt.toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
    expect(ntowfV2(ntHash('Password'), 'user', 'Domain').equals(responseKeyNt)).toBe(true);
    expect(ntowfV2(ntHash('Password'), 'User', 'DOMAIN').equals(responseKeyNt)).toBe(false);
  });

  it('builds the §4.2.4.1.3 temp blob', () => {
    expect(temp.toString('hex')).toBe(
      '0101000000000000' +
        '0000000000000000' +
        'aaaaaaaaaaaaaaaa' +
        '00000000' +
        '02000c0044006f006d00610069006e00' +
        '01000c005300650072007600650072000000' +
        '0000' +
        '00000000',
    );
  });

  it('computes NTProofStr, the session base key and the LMv2 response', () => {
    const proof = ntProofStr(responseKeyNt, serverChallenge, temp);
    expect(proof.toString('hex')).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(sessionBaseKey(responseKeyNt, proof).toString('hex')).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
    const lmv2 = Buffer.concat([hmacMd5(responseKeyNt, serverChallenge, clientChallenge), clientChallenge]);
    expect(lmv2.toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
  });

  it('KEY_EXCH: RC4 of the random session key under the key exchange key, and back', () => {
    const proof = ntProofStr(responseKeyNt, serverChallenge, temp);
    const kxKey = sessionBaseKey(responseKeyNt, proof);
    const encrypted = exchangeSessionKey(kxKey, randomSessionKey);
    expect(encrypted.toString('hex')).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
    expect(exchangeSessionKey(kxKey, encrypted).equals(randomSessionKey)).toBe(true);
  });
});

describe('computeMic (MS-NLMP §3.1.5.1.2)', () => {
  const negotiate = Buffer.from('negotiate');
  const challenge = Buffer.from('challenge');
  const authenticate = Buffer.alloc(120, 7);

  it('is HMAC_MD5 over the three messages with the MIC field zeroed', () => {
    const zeroed = Buffer.from(authenticate);
    zeroed.fill(0, 72, 88);
    const expected = hmacMd5(randomSessionKey, negotiate, challenge, zeroed);
    expect(computeMic(randomSessionKey, negotiate, challenge, authenticate).equals(expected)).toBe(true);
    // Whatever sits in the MIC field does not change the MIC; any other byte does.
    const withMic = Buffer.from(authenticate);
    withMic.fill(0xee, 72, 88);
    expect(computeMic(randomSessionKey, negotiate, challenge, withMic).equals(expected)).toBe(true);
    withMic[100] ^= 1;
    expect(computeMic(randomSessionKey, negotiate, challenge, withMic).equals(expected)).toBe(false);
    expect(authenticate[72]).toBe(7);
  });
});
