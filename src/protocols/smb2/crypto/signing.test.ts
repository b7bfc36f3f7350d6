import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesCmac } from './aes-cmac.js';
import { Dialect, SigningAlgorithm } from './constants.js';
import { SMB300 } from './testing/ms-test-vectors.js';
import { signMessage, verifySignature } from './signing.js';

const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

function zeroed(msg: Buffer): Buffer {
  const copy = Buffer.from(msg);
  copy.fill(0, 48, 64);
  return copy;
}

describe('SMB2 signing (MS-SMB2 §3.1.4.1)', () => {
  const msg = Buffer.from(SMB300.request);
  msg.fill(0xab, 48, 64); // whatever is in the Signature field does not count

  it('2.0.2/2.1: HMAC-SHA256 over the message with a zero signature, truncated to 16 bytes', () => {
    const expected = createHmac('sha256', key).update(zeroed(msg)).digest().subarray(0, 16);
    expect(signMessage(Dialect.SMB202, key, msg).equals(expected)).toBe(true);
    expect(signMessage(Dialect.SMB21, key, msg).equals(expected)).toBe(true);
  });

  it('3.x: AES-128-CMAC over the message with a zero signature', () => {
    const expected = aesCmac(key, zeroed(msg));
    for (const d of [Dialect.SMB30, Dialect.SMB302, Dialect.SMB311])
      expect(signMessage(d, key, msg).equals(expected)).toBe(true);
    expect(msg[48]).toBe(0xab);
  });

  it('verifySignature accepts a signed message and rejects any change', () => {
    for (const [dialect, algorithm] of [
      [Dialect.SMB21, undefined],
      [Dialect.SMB30, undefined],
      [Dialect.SMB311, SigningAlgorithm.AES_GMAC],
    ] as const) {
      const signed = Buffer.from(msg);
      signMessage(dialect, key, signed, algorithm).copy(signed, 48);
      expect(verifySignature(dialect, key, signed, algorithm)).toBe(true);
      for (const at of [0, 24, 50, signed.length - 1]) {
        const bad = Buffer.from(signed);
        bad[at] ^= 1;
        expect(verifySignature(dialect, key, bad, algorithm)).toBe(false);
      }
      expect(verifySignature(dialect, Buffer.alloc(16, 9), signed, algorithm)).toBe(false);
    }
    expect(verifySignature(Dialect.SMB30, key, msg.subarray(0, 63))).toBe(false);
  });

  it('AES-GMAC binds the MessageId and the response flag through the nonce', () => {
    const a = signMessage(Dialect.SMB311, key, msg, SigningAlgorithm.AES_GMAC);
    const otherId = Buffer.from(msg);
    otherId.writeBigUInt64LE(99n, 24);
    const asResponse = Buffer.from(msg);
    asResponse.writeUInt32LE(asResponse.readUInt32LE(16) | 1, 16);
    expect(signMessage(Dialect.SMB311, key, otherId, SigningAlgorithm.AES_GMAC).equals(a)).toBe(false);
    expect(signMessage(Dialect.SMB311, key, asResponse, SigningAlgorithm.AES_GMAC).equals(a)).toBe(false);
    expect(a.equals(signMessage(Dialect.SMB311, key, msg))).toBe(false);
  });
});
