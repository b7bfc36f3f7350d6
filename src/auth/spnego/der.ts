/**
 * The little of ASN.1 DER (X.690) that SPNEGO needs: single-byte tags,
 * definite lengths, OIDs. The reader is bounds-checked and returns
 * undefined on anything malformed; it never throws.
 */

export interface DerElement {
  tag: number;
  /** Offset of the tag byte (start of the whole encoding). */
  offset: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte (and the offset of the next element). */
  end: number;
}

/** Reads the element at `off`, which must end at or before `limit`. */
export function readElement(buf: Buffer, off: number, limit: number = buf.length): DerElement | undefined {
  if (limit > buf.length || off < 0 || off + 2 > limit) return undefined;
  const tag = buf[off];
  // X.690 §8.1.2.4: high tag numbers never occur in SPNEGO.
  if ((tag & 0x1f) === 0x1f) return undefined;
  let lenByte = buf[off + 1];
  let pos = off + 2;
  let len: number;
  if (lenByte < 0x80) {
    len = lenByte;
  } else {
    // X.690 §8.1.3.6: indefinite length (0x80) is not DER; 4 length bytes are plenty.
    lenByte &= 0x7f;
    if (lenByte === 0 || lenByte > 4 || pos + lenByte > limit) return undefined;
    len = 0;
    for (let i = 0; i < lenByte; i++) len = len * 256 + buf[pos + i];
    pos += lenByte;
  }
  if (len > limit - pos) return undefined;
  return { tag, offset: off, start: pos, end: pos + len };
}

/** The elements directly inside a constructed element's content. */
export function readChildren(buf: Buffer, parent: DerElement): DerElement[] | undefined {
  const out: DerElement[] = [];
  let off = parent.start;
  while (off < parent.end) {
    const el = readElement(buf, off, parent.end);
    if (!el) return undefined;
    out.push(el);
    off = el.end;
  }
  return out;
}

/** Encodes tag + length + content. */
export function derEncode(tag: number, ...content: Buffer[]): Buffer {
  let len = 0;
  for (const c of content) len += c.length;
  let head: Buffer;
  if (len < 0x80) head = Buffer.from([tag, len]);
  else if (len < 0x100) head = Buffer.from([tag, 0x81, len]);
  else if (len < 0x10000) head = Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  else head = Buffer.from([tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  return Buffer.concat([head, ...content]);
}

/** X.690 §8.19: content octets of an OBJECT IDENTIFIER from its dotted form. */
export function encodeOidContent(oid: string): Buffer {
  const arcs = oid.split('.').map((a) => Number.parseInt(a, 10));
  // X.690 §8.19.4: the first two arcs share one subidentifier, itself base-128 like the rest.
  const subids = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const arc of subids) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return Buffer.from(bytes);
}

export function encodeOid(oid: string): Buffer {
  return derEncode(0x06, encodeOidContent(oid));
}

/** Dotted form of an OBJECT IDENTIFIER's content; undefined when malformed or an arc exceeds 2^32. */
export function decodeOidContent(content: Buffer): string | undefined {
  if (content.length === 0 || content.length > 64) return undefined;
  const arcs: number[] = [];
  let v = 0;
  let digits = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (++digits > 5 || v > 0xffffffff) return undefined;
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
      digits = 0;
    }
  }
  if (digits !== 0) return undefined;
  const first = arcs[0];
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}
