import { decodeOidContent, derEncode, encodeOid, readChildren, readElement, type DerElement } from './der.js';
import { SPNEGO_OID } from './oids.js';

/** RFC 4178 §4.2.2 negState. */
export const NegState = {
  ACCEPT_COMPLETED: 0,
  ACCEPT_INCOMPLETE: 1,
  REJECT: 2,
  REQUEST_MIC: 3,
} as const;

/** RFC 4178 §4.2.1 NegTokenInit as received. */
export interface NegTokenInit {
  kind: 'init';
  mechTypes: string[];
  /** The DER encoding of the MechTypeList exactly as sent: what mechListMIC covers (RFC 4178 §5). */
  mechTypesDer: Buffer;
  mechToken?: Buffer;
  mechListMIC?: Buffer;
}

/** RFC 4178 §4.2.2 NegTokenResp. */
export interface NegTokenResp {
  kind: 'resp';
  negState?: number;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMIC?: Buffer;
}

const APPLICATION_0 = 0x60;
const SEQUENCE = 0x30;
const OID = 0x06;
const OCTET_STRING = 0x04;
const ENUMERATED = 0x0a;
const ctx = (n: number) => 0xa0 | n;

/**
 * Parses a client SPNEGO token: the initial one (RFC 2743 §3.1
 * InitialContextToken with the SPNEGO OID and a NegTokenInit) or a
 * NegTokenResp. Undefined when malformed; never throws.
 */
export function parseNegotiationToken(buf: Buffer): NegTokenInit | NegTokenResp | undefined {
  let outer = readElement(buf, 0);
  if (!outer) return undefined;
  if (outer.tag === APPLICATION_0) {
    const oid = readElement(buf, outer.start, outer.end);
    if (!oid || oid.tag !== OID || decodeOidContent(buf.subarray(oid.start, oid.end)) !== SPNEGO_OID) return undefined;
    outer = readElement(buf, oid.end, outer.end);
    if (!outer || outer.tag !== ctx(0)) return undefined;
  }
  if (outer.tag === ctx(0)) return parseInit(buf, outer);
  if (outer.tag === ctx(1)) return parseResp(buf, outer);
  return undefined;
}

/** The SEQUENCE's context-tagged fields, each unwrapped to its inner element. */
function taggedFields(buf: Buffer, wrapper: DerElement): Map<number, DerElement> | undefined {
  const seq = readElement(buf, wrapper.start, wrapper.end);
  if (!seq || seq.tag !== SEQUENCE) return undefined;
  const children = readChildren(buf, seq);
  if (!children) return undefined;
  const fields = new Map<number, DerElement>();
  for (const child of children) {
    if ((child.tag & 0xe0) !== 0xa0) return undefined;
    const inner = readElement(buf, child.start, child.end);
    if (!inner || inner.end !== child.end) return undefined;
    const n = child.tag & 0x1f;
    if (fields.has(n)) return undefined;
    fields.set(n, inner);
  }
  return fields;
}

function octets(buf: Buffer, el: DerElement | undefined): Buffer | undefined | null {
  if (!el) return undefined;
  if (el.tag !== OCTET_STRING) return null;
  return Buffer.from(buf.subarray(el.start, el.end));
}

function parseInit(buf: Buffer, wrapper: DerElement): NegTokenInit | undefined {
  const fields = taggedFields(buf, wrapper);
  const list = fields?.get(0);
  if (!fields || !list || list.tag !== SEQUENCE) return undefined;
  const oidEls = readChildren(buf, list);
  if (!oidEls || oidEls.length === 0 || oidEls.length > 32) return undefined;
  const mechTypes: string[] = [];
  for (const el of oidEls) {
    const oid = el.tag === OID ? decodeOidContent(buf.subarray(el.start, el.end)) : undefined;
    if (!oid) return undefined;
    mechTypes.push(oid);
  }
  // The MechTypeList's own tag and length are part of what mechListMIC covers.
  const mechTypesDer = Buffer.from(buf.subarray(list.offset, list.end));
  const mechToken = octets(buf, fields.get(2));
  const mechListMIC = octets(buf, fields.get(3));
  if (mechToken === null || mechListMIC === null) return undefined;
  return { kind: 'init', mechTypes, mechTypesDer, mechToken, mechListMIC };
}

function parseResp(buf: Buffer, wrapper: DerElement): NegTokenResp | undefined {
  const fields = taggedFields(buf, wrapper);
  if (!fields) return undefined;
  const out: NegTokenResp = { kind: 'resp' };
  const state = fields.get(0);
  if (state) {
    if (state.tag !== ENUMERATED || state.end - state.start !== 1) return undefined;
    out.negState = buf[state.start];
  }
  const mech = fields.get(1);
  if (mech) {
    const oid = mech.tag === OID ? decodeOidContent(buf.subarray(mech.start, mech.end)) : undefined;
    if (!oid) return undefined;
    out.supportedMech = oid;
  }
  const responseToken = octets(buf, fields.get(2));
  const mechListMIC = octets(buf, fields.get(3));
  if (responseToken === null || mechListMIC === null) return undefined;
  if (responseToken) out.responseToken = responseToken;
  if (mechListMIC) out.mechListMIC = mechListMIC;
  return out;
}

/** DER MechTypeList (RFC 4178 §4.1). */
export function encodeMechTypeList(oids: readonly string[]): Buffer {
  return derEncode(SEQUENCE, ...oids.map(encodeOid));
}

/**
 * An initial SPNEGO token (RFC 4178 §4.2.1 wrapped per RFC 2743 §3.1):
 * the server's hint in the SMB2 NEGOTIATE response (mechTypes only), or a
 * client's first token with an optimistic mechToken.
 */
export function encodeNegTokenInit(oids: readonly string[], mechToken?: Buffer): Buffer {
  const fields = [derEncode(ctx(0), encodeMechTypeList(oids))];
  if (mechToken) fields.push(derEncode(ctx(2), derEncode(OCTET_STRING, mechToken)));
  return derEncode(APPLICATION_0, encodeOid(SPNEGO_OID), derEncode(ctx(0), derEncode(SEQUENCE, ...fields)));
}

/** A NegTokenResp (RFC 4178 §4.2.2); not wrapped in the GSS header, as only the initial token is. */
export function encodeNegTokenResp(r: Omit<NegTokenResp, 'kind'>): Buffer {
  const fields: Buffer[] = [];
  if (r.negState !== undefined) fields.push(derEncode(ctx(0), derEncode(ENUMERATED, Buffer.from([r.negState]))));
  if (r.supportedMech) fields.push(derEncode(ctx(1), encodeOid(r.supportedMech)));
  if (r.responseToken) fields.push(derEncode(ctx(2), derEncode(OCTET_STRING, r.responseToken)));
  if (r.mechListMIC) fields.push(derEncode(ctx(3), derEncode(OCTET_STRING, r.mechListMIC)));
  return derEncode(ctx(1), derEncode(SEQUENCE, ...fields));
}
