import { describe, expect, it } from 'vitest';
import { smb3Kdf, sp800108CounterHmacSha256 } from './kdf.js';

describe('SP 800-108 counter-mode KDF with HMAC-SHA256', () => {
  it('matches NIST CAVP KBKDF [PRF=HMAC_SHA256][CTRLOCATION=BEFORE_FIXED][RLEN=32_BITS] COUNT=0', () => {
    const ki = Buffer.from('dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0', 'hex');
    const fixed = Buffer.from(
      '01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b864a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac',
      'hex',
    );
    expect(sp800108CounterHmacSha256(ki, fixed, 128).toString('hex')).toBe('10621342bfb0fd40046c0e29f2cfdbf0');
  });

  it('produces longer outputs as consecutive counter blocks', () => {
    const key = Buffer.alloc(16, 1);
    const out = sp800108CounterHmacSha256(key, Buffer.from('x'), 320);
    expect(out.length).toBe(40);
    expect(out.subarray(0, 16).equals(sp800108CounterHmacSha256(key, Buffer.from('x'), 128))).toBe(true);
  });
});

describe('smb3Kdf (MS-SMB2 §3.1.4.2)', () => {
  it('appends the NUL to string labels and puts L in the fixed input', () => {
    const key = Buffer.from('b4546771b515f766a86735532dd6c4f0', 'hex');
    const l = Buffer.from('00000080', 'hex');
    const fixed = Buffer.concat([
      Buffer.from('SMB2AESCCM\0', 'latin1'),
      Buffer.alloc(1),
      Buffer.from('ServerIn \0'),
      l,
    ]);
    expect(smb3Kdf(key, 'SMB2AESCCM', 'ServerIn ').equals(sp800108CounterHmacSha256(key, fixed, 128))).toBe(true);
    expect(smb3Kdf(key, 'SMB2AESCCM', 'ServerIn ', 256).length).toBe(32);
  });
});
