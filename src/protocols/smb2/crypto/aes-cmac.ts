import { createCipheriv } from 'node:crypto';

const ZERO_BLOCK = Buffer.alloc(16);

/** RFC 4493 §2.3: double in GF(2^128) (shift left one bit, xor Rb = 0x87 on carry). */
function dbl(block: Buffer): Buffer {
  const out = Buffer.allocUnsafe(16);
  let carry = 0;
  for (let i = 15; i >= 0; i--) {
    const b = block[i];
    out[i] = ((b << 1) | carry) & 0xff;
    carry = b >>> 7;
  }
  if (block[0] & 0x80) out[15] ^= 0x87;
  return out;
}

function aesBlock(key: Buffer, block: Buffer): Buffer {
  const c = createCipheriv(key.length === 32 ? 'aes-256-ecb' : 'aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return c.update(block);
}

/**
 * RFC 4493 §2.3 subkey K1, cached per key object: a session signs every
 * message with the same signing-key Buffer, so this saves an AES block and
 * a cipher object per message. Keys are never mutated after derivation.
 */
const k1Cache = new WeakMap<Buffer, { copy: Buffer; k1: Buffer }>();

function subkey1(key: Buffer): Buffer {
  const hit = k1Cache.get(key);
  if (hit && hit.copy.equals(key)) return hit.k1;
  const k1 = dbl(aesBlock(key, ZERO_BLOCK));
  k1Cache.set(key, { copy: Buffer.from(key), k1 });
  return k1;
}

/**
 * AES-CMAC (RFC 4493) over the concatenation of `parts`, so callers can
 * MAC a message with a zeroed field without copying it. RFC 4493 §2.4 is
 * AES-CBC with a zero IV whose final block is first xored with a subkey,
 * so one node:crypto CBC pass does it all: the head goes through as is,
 * then the adjusted final block, whose ciphertext is the tag.
 */
export function aesCmacParts(key: Buffer, parts: readonly Buffer[]): Buffer {
  const k1 = subkey1(key);
  let total = 0;
  for (const p of parts) total += p.length;
  // RFC 4493 §2.4 step 3: the last block is complete iff the length is a non-zero multiple of 16.
  const complete = total > 0 && total % 16 === 0;
  const lastLen = complete ? 16 : total % 16;
  const headLen = total - lastLen;

  const cbc = createCipheriv(key.length === 32 ? 'aes-256-cbc' : 'aes-128-cbc', key, ZERO_BLOCK);
  cbc.setAutoPadding(false);
  const last = Buffer.alloc(16);
  let pos = 0;
  for (const p of parts) {
    const end = pos + p.length;
    if (pos < headLen) cbc.update(end <= headLen ? p : p.subarray(0, headLen - pos));
    if (end > headLen) p.copy(last, Math.max(0, pos - headLen), Math.max(0, headLen - pos));
    pos = end;
  }
  const subkey = complete ? k1 : dbl(k1);
  if (!complete) last[lastLen] = 0x80;
  for (let i = 0; i < 16; i++) last[i] ^= subkey[i];
  // The head is whole blocks, so everything before has been emitted; this block's output is the tag.
  return cbc.update(last);
}

/** AES-CMAC (RFC 4493) of `data` under a 16-byte key: the 16-byte tag. */
export function aesCmac(key: Buffer, data: Buffer): Buffer {
  return aesCmacParts(key, [data]);
}
