import { describe, expect, it } from 'vitest';
import { NegotiateFlags } from './constants.js';
import { Rc4 } from './rc4.js';
import { macSignature, NtlmIntegrity, sealKey, signKey } from './session-security.js';

// MS-NLMP §4.2.4.4 (GSS_WrapEx, NTLMv2 with KEY_EXCH): keys from RandomSessionKey 0x55 x16.
const exported = Buffer.alloc(16, 0x55);
const flags = 0xe28a8233;
const plaintext = Buffer.from('Plaintext', 'utf16le');

describe('NTLM session security (MS-NLMP §4.2.4.4 vectors)', () => {
  it('derives the client-to-server signing and sealing keys', () => {
    expect(signKey(exported, 'client-to-server').toString('hex')).toBe('4788dc861b4782f35d43fd98fe1a2d39');
    expect(sealKey(exported, flags, 'client-to-server').toString('hex')).toBe('59f600973cc4960a25480a7c196e4c58');
  });

  it('seals and signs "Plaintext" with one RC4 handle as the spec shows', () => {
    const handle = new Rc4(sealKey(exported, flags, 'client-to-server'));
    expect(handle.update(plaintext).toString('hex')).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    const sig = macSignature(signKey(exported, 'client-to-server'), handle, 0, plaintext);
    expect(sig.toString('hex')).toBe('010000007fb38ec5c55d497600000000');
  });

  it('without KEY_EXCH the checksum is the plain HMAC prefix', () => {
    const sig = macSignature(signKey(exported, 'client-to-server'), undefined, 0, plaintext);
    expect(sig.subarray(4, 12).toString('hex')).toBe('70352851f2564309');
  });

  it('weakens the sealing key to 56 or 40 bits when 128 is not negotiated', () => {
    const k128 = sealKey(exported, flags, 'server-to-client');
    const k56 = sealKey(exported, flags & ~NegotiateFlags.NEGOTIATE_128, 'server-to-client');
    const k40 = sealKey(
      exported,
      flags & ~(NegotiateFlags.NEGOTIATE_128 | NegotiateFlags.NEGOTIATE_56),
      'server-to-client',
    );
    expect(new Set([k128.toString('hex'), k56.toString('hex'), k40.toString('hex')]).size).toBe(3);
  });

  it('verify accepts the peer signature in sequence and rejects a tampered one', () => {
    const signer = new NtlmIntegrity(exported, flags, 'client-to-server');
    const verifier = new NtlmIntegrity(exported, flags, 'client-to-server');
    const first = signer.sign(plaintext);
    expect(verifier.verify(plaintext, first)).toBe(true);
    const second = signer.sign(plaintext);
    second[5] ^= 1;
    expect(verifier.verify(plaintext, second)).toBe(false);
    expect(new NtlmIntegrity(exported, flags, 'server-to-client').verify(plaintext, first)).toBe(false);
  });
});
