import { describe, expect, it } from 'vitest';
import { Cipher } from './constants.js';
import {
  decryptMessage,
  encryptMessage,
  isTransformMessage,
  NonceGenerator,
  readTransformHeader,
} from './encryption.js';
import { SMB300, SMB311_ENCRYPTION } from './testing/ms-test-vectors.js';

describe('SMB3 encryption (MS-SMB2 §3.1.4.3, Microsoft test vectors)', () => {
  it('3.0 AES-128-CCM: encrypts the sample WRITE exactly as published', () => {
    const out = encryptMessage(
      Cipher.AES_128_CCM,
      SMB300.clientEncryptionKey,
      SMB300.request,
      SMB300.sessionId,
      SMB300.requestNonce,
    );
    expect(out.toString('hex')).toBe(SMB300.encryptedRequest.toString('hex'));
  });

  it('3.0 AES-128-CCM: decrypts the published request and response', () => {
    const req = decryptMessage(Cipher.AES_128_CCM, SMB300.clientEncryptionKey, SMB300.encryptedRequest);
    expect(req?.equals(SMB300.request)).toBe(true);
    const resp = decryptMessage(Cipher.AES_128_CCM, SMB300.clientDecryptionKey, SMB300.encryptedResponse);
    expect(resp?.equals(SMB300.response)).toBe(true);
  });

  it('3.1.1 AES-128-GCM: encrypts and decrypts the published messages', () => {
    const v = SMB311_ENCRYPTION;
    const out = encryptMessage(Cipher.AES_128_GCM, v.clientEncryptionKey, v.request, v.sessionId, v.requestNonce);
    expect(out.toString('hex')).toBe(v.encryptedRequest.toString('hex'));
    expect(decryptMessage(Cipher.AES_128_GCM, v.clientDecryptionKey, v.encryptedResponse)?.equals(v.response)).toBe(
      true,
    );
    expect(readTransformHeader(v.encryptedResponse)).toEqual({
      sessionId: v.sessionId,
      originalMessageSize: 0x50,
      flags: 1,
    });
  });

  it.each([
    ['AES-128-CCM', Cipher.AES_128_CCM, 16, 11],
    ['AES-128-GCM', Cipher.AES_128_GCM, 16, 12],
    ['AES-256-CCM', Cipher.AES_256_CCM, 32, 11],
    ['AES-256-GCM', Cipher.AES_256_GCM, 32, 12],
  ])('%s: round trip with a random nonce of the right size; tampering is detected', (_n, cipher, keyLen, nonceLen) => {
    const key = Buffer.alloc(keyLen, 3);
    const msg = Buffer.concat([SMB300.request, Buffer.alloc(1000, 0x5a)]);
    const out = encryptMessage(cipher, key, msg, 42n);
    expect(out.length).toBe(52 + msg.length);
    expect(isTransformMessage(out)).toBe(true);
    expect(out.subarray(20 + nonceLen, 36).equals(Buffer.alloc(16 - nonceLen))).toBe(true);
    expect(decryptMessage(cipher, key, out)?.equals(msg)).toBe(true);
    for (const at of [4, 20, 44, 60, out.length - 1]) {
      const bad = Buffer.from(out);
      bad[at] ^= 0x10;
      expect(decryptMessage(cipher, key, bad)).toBeNull();
    }
    expect(decryptMessage(cipher, Buffer.alloc(keyLen, 4), out)).toBeNull();
  });

  it('refuses malformed transform headers without throwing', () => {
    const good = SMB311_ENCRYPTION.encryptedResponse;
    const key = SMB311_ENCRYPTION.clientDecryptionKey;
    expect(decryptMessage(Cipher.AES_128_GCM, key, good.subarray(0, 51))).toBeNull();
    expect(decryptMessage(Cipher.AES_128_GCM, key, good.subarray(0, good.length - 1))).toBeNull();
    const badSize = Buffer.from(good);
    badSize.writeUInt32LE(0xffffffff, 36);
    expect(decryptMessage(Cipher.AES_128_GCM, key, badSize)).toBeNull();
    const badFlags = Buffer.from(good);
    badFlags.writeUInt16LE(2, 42);
    expect(decryptMessage(Cipher.AES_128_GCM, key, badFlags)).toBeNull();
    expect(decryptMessage(Cipher.AES_128_GCM, key, Buffer.alloc(0))).toBeNull();
    expect(() => encryptMessage(Cipher.AES_128_GCM, Buffer.alloc(32), good, 1n)).toThrow(RangeError);
  });
});

describe('decryptMessage on hostile input', () => {
  it('returns null for thousands of random mutations of a valid message, never throwing', () => {
    const key = SMB311_ENCRYPTION.clientDecryptionKey;
    const good = SMB311_ENCRYPTION.encryptedResponse;
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      let b = Buffer.from(good);
      const op = rand(3);
      if (op === 0) b[rand(b.length)] ^= 1 << rand(8);
      else if (op === 1) b = b.subarray(0, rand(b.length));
      else b = Buffer.concat([b, Buffer.alloc(1 + rand(32), rand(256))]);
      if (b.equals(good)) continue;
      expect(decryptMessage(Cipher.AES_128_GCM, key, b)).toBeNull();
      expect(decryptMessage(Cipher.AES_128_CCM, key, b)).toBeNull();
    }
  });
});

describe('NonceGenerator', () => {
  it.each([
    [Cipher.AES_128_CCM, 11],
    [Cipher.AES_256_GCM, 12],
  ])('cipher %i: distinct nonces of the cipher length, usable by encryptMessage', (cipher, len) => {
    const gen = new NonceGenerator(cipher);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const n = gen.next();
      expect(n.length).toBe(16);
      expect(n.subarray(len).equals(Buffer.alloc(16 - len))).toBe(true);
      seen.add(n.toString('hex'));
    }
    expect(seen.size).toBe(1000);
    const key = Buffer.alloc(cipher === Cipher.AES_256_GCM ? 32 : 16, 1);
    const nonce = gen.next();
    const out = encryptMessage(cipher, key, SMB300.request, 5n, nonce);
    expect(out.subarray(20, 36).equals(nonce)).toBe(true);
    expect(decryptMessage(cipher, key, out)?.equals(SMB300.request)).toBe(true);
  });
});
