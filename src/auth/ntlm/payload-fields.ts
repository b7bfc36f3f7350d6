/**
 * MS-NLMP §2.2: variable-length message parts are described by a "fields"
 * triple (Len: u16, MaxLen: u16, BufferOffset: u32) pointing into the message.
 * Every read here is bounds-checked so that a hostile triple yields
 * `undefined`, never an exception or an out-of-range view.
 */

const EMPTY = Buffer.alloc(0);

/** The bytes a fields triple at `at` points to, or undefined if the triple or its target lies outside `msg`. */
export function readPayloadField(msg: Buffer, at: number): Buffer | undefined {
  if (at < 0 || at + 8 > msg.length) return undefined;
  const len = msg.readUInt16LE(at);
  const offset = msg.readUInt32LE(at + 4);
  if (len === 0) return EMPTY;
  if (offset > msg.length || len > msg.length - offset) return undefined;
  return msg.subarray(offset, offset + len);
}

/**
 * Lays out a message: `header` (fixed part, fields triples zeroed) followed
 * by each payload in order; writes each payload's triple at its field offset.
 */
export function layoutMessage(header: Buffer, fields: ReadonlyArray<readonly [fieldAt: number, data: Buffer]>): Buffer {
  let offset = header.length;
  for (const [fieldAt, data] of fields) {
    if (data.length > 0xffff) throw new RangeError('NTLM payload field longer than 65535 bytes');
    header.writeUInt16LE(data.length, fieldAt);
    header.writeUInt16LE(data.length, fieldAt + 2);
    header.writeUInt32LE(offset, fieldAt + 4);
    offset += data.length;
  }
  return Buffer.concat([header, ...fields.map(([, data]) => data)]);
}

/** True when `msg` starts with the NTLMSSP signature and carries `type` at offset 8. */
export function hasNtlmHeader(msg: Buffer, signature: Buffer, type: number): boolean {
  return msg.length >= 12 && msg.subarray(0, 8).equals(signature) && msg.readUInt32LE(8) === type;
}

/** UTF-16LE text of a Unicode payload field; undefined for an odd byte count (not UTF-16). */
export function decodeUnicode(data: Buffer): string | undefined {
  if (data.length % 2 !== 0) return undefined;
  return data.toString('utf16le');
}
