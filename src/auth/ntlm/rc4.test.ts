import { describe, expect, it } from 'vitest';
import { Rc4, rc4 } from './rc4.js';

describe('RC4', () => {
  it('matches the classic test vectors', () => {
    expect(rc4(Buffer.from('Key'), Buffer.from('Plaintext')).toString('hex')).toBe('bbf316e8d940af0ad3');
    expect(rc4(Buffer.from('Wiki'), Buffer.from('pedia')).toString('hex')).toBe('1021bf0420');
    expect(rc4(Buffer.from('Secret'), Buffer.from('Attack at dawn')).toString('hex')).toBe(
      '45a01f645fc35b383552544b9bf5',
    );
  });

  it('keeps the key stream across calls, as an MS-NLMP sealing handle does', () => {
    const h = new Rc4(Buffer.from('Key'));
    const a = h.update(Buffer.from('Plain'));
    const b = h.update(Buffer.from('text'));
    expect(Buffer.concat([a, b]).toString('hex')).toBe('bbf316e8d940af0ad3');
  });

  it('refuses an empty key', () => {
    expect(() => new Rc4(Buffer.alloc(0))).toThrow(RangeError);
  });
});
