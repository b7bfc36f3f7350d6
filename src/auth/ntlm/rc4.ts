/**
 * RC4 (ARCFOUR), as MS-NLMP §3.4 and §3.1.5.1.2 (KEY_EXCH) use it.
 * node:crypto on Node 20 refuses rc4 (OpenSSL 3 legacy provider), and the
 * cipher is a few lines. A handle keeps its state between calls, as MS-NLMP's
 * RC4Init/RC4 pair requires for the sealing handle.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0) throw new RangeError('RC4 key must not be empty');
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      j = (j + s[k] + key[k % key.length]) & 0xff;
      const t = s[k];
      s[k] = s[j];
      s[j] = t;
    }
  }

  /** Encrypts or decrypts (the same operation) and advances the key stream. */
  update(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < data.length; k++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]) & 0xff;
      const t = s[i];
      s[i] = s[j];
      s[j] = t;
      out[k] = data[k] ^ s[(s[i] + s[j]) & 0xff];
    }
    this.i = i;
    this.j = j;
    return out;
  }
}

/** One-shot RC4K(key, data) of MS-NLMP §6. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
