import { createHmac } from 'node:crypto';

/**
 * NIST SP 800-108 KDF in counter mode with HMAC-SHA256, r = 32:
 * K(i) = HMAC-SHA256(KI, [i]_32BE || FixedInputData), output truncated to `lengthBits`.
 */
export function sp800108CounterHmacSha256(key: Buffer, fixedInput: Buffer, lengthBits: number): Buffer {
  const bytes = Math.ceil(lengthBits / 8);
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 1; blocks.length * 32 < bytes; i++) {
    counter.writeUInt32BE(i);
    blocks.push(createHmac('sha256', key).update(counter).update(fixedInput).digest());
  }
  return Buffer.concat(blocks).subarray(0, bytes);
}

const ZERO = Buffer.alloc(1);

/**
 * MS-SMB2 §3.1.4.2: SP800-108 counter mode with HMAC-SHA256, fixed input
 * Label || 0x00 || Context || [L]_32BE. String labels/contexts are the
 * spec's names and get their terminating NUL appended (e.g. "SMB2AESCMAC"
 * is 12 bytes on the wire); Buffers (the 3.1.1 preauth hash) are used as is.
 */
export function smb3Kdf(key: Buffer, label: string | Buffer, context: string | Buffer, lengthBits = 128): Buffer {
  const l = Buffer.alloc(4);
  l.writeUInt32BE(lengthBits);
  return sp800108CounterHmacSha256(key, Buffer.concat([asBytes(label), ZERO, asBytes(context), l]), lengthBits);
}

function asBytes(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(`${v}\0`, 'latin1') : v;
}
