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
 * AES-CMAC (RFC 4493) over the concatenation of `parts`, so callers can
 * MAC a message with a zeroed field without copying it. All complete
 * blocks but the last go through one AES-CBC pass (node:crypto); only the
 * final block is handled here.
 */
export function aesCmacParts(key: Buffer, parts: readonly Buffer[]): Buffer {
  const l = aesBlock(key, ZERO_BLOCK);
  const k1 = dbl(l);
  let total = 0;
  for (const p of parts) total += p.length;
  // RFC 4493 §2.4 step 3: the last block is complete iff the length is a non-zero multiple of 16.
  const complete = total > 0 && total % 16 === 0;
  const lastLen = complete ? 16 : total % 16;
  const headLen = total - lastLen;

  let chain: Buffer = ZERO_BLOCK;
  const last = Buffer.alloc(16);
  if (headLen > 0) {
    const cbc = createCipheriv(key.length === 32 ? 'aes-256-cbc' : 'aes-128-cbc', key, ZERO_BLOCK);
    cbc.setAutoPadding(false);
    let fed = 0;
    let out: Buffer | undefined;
    for (const p of parts) {
      if (fed >= headLen) break;
      const take = Math.min(p.length, headLen - fed);
      // Without padding, CBC output comes in whole blocks; the newest block is the chaining value.
      const chunk = cbc.update(take === p.length ? p : p.subarray(0, take));
      if (chunk.length > 0) out = chunk;
      fed += take;
    }
    chain = out!.subarray(out!.length - 16);
  }
  // Copy the trailing `lastLen` bytes into `last`.
  let skip = headLen;
  let pos = 0;
  for (const p of parts) {
    if (skip >= p.length) {
      skip -= p.length;
      continue;
    }
    pos += p.copy(last, pos, skip);
    skip = 0;
  }
  const subkey = complete ? k1 : dbl(k1);
  if (!complete) last[lastLen] = 0x80;
  for (let i = 0; i < 16; i++) last[i] ^= subkey[i] ^ chain[i];
  return aesBlock(key, last);
}

/** AES-CMAC (RFC 4493) of `data` under a 16-byte key: the 16-byte tag. */
export function aesCmac(key: Buffer, data: Buffer): Buffer {
  return aesCmacParts(key, [data]);
}
