import { describe, expect, it } from 'vitest';
import { decodeOidContent, encodeOidContent, readElement } from './der.js';
import { KRB5_OID, MS_KRB5_OID, NTLMSSP_OID } from './oids.js';
import {
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NegState,
  parseNegotiationToken,
} from './tokens.js';

describe('SPNEGO tokens (RFC 4178)', () => {
  it('encodes the NegTokenInit hint with the NTLMSSP mechanism', () => {
    expect(encodeNegTokenInit([NTLMSSP_OID]).toString('hex')).toBe(
      '601c06062b0601050502a0123010a00e300c060a2b06010401823702020a',
    );
  });

  it('round-trips a client NegTokenInit and keeps the exact MechTypeList DER', () => {
    const token = encodeNegTokenInit([MS_KRB5_OID, KRB5_OID, NTLMSSP_OID], Buffer.from('opt'));
    const parsed = parseNegotiationToken(token);
    expect(parsed).toMatchObject({ kind: 'init', mechTypes: [MS_KRB5_OID, KRB5_OID, NTLMSSP_OID] });
    if (parsed?.kind !== 'init') return;
    expect(parsed.mechToken?.toString()).toBe('opt');
    expect(parsed.mechTypesDer.equals(encodeMechTypeList([MS_KRB5_OID, KRB5_OID, NTLMSSP_OID]))).toBe(true);
  });

  it('round-trips a NegTokenResp with every field, including long-form lengths', () => {
    const big = Buffer.alloc(300, 9);
    const token = encodeNegTokenResp({
      negState: NegState.ACCEPT_INCOMPLETE,
      supportedMech: NTLMSSP_OID,
      responseToken: big,
      mechListMIC: Buffer.from('mic'),
    });
    const parsed = parseNegotiationToken(token);
    expect(parsed).toMatchObject({ kind: 'resp', negState: 1, supportedMech: NTLMSSP_OID });
    if (parsed?.kind !== 'resp') return;
    expect(parsed.responseToken?.equals(big)).toBe(true);
    expect(parsed.mechListMIC?.toString()).toBe('mic');
  });

  it('rejects truncated, indefinite-length, wrong-OID and duplicate-field tokens', () => {
    const init = encodeNegTokenInit([NTLMSSP_OID]);
    for (let n = 0; n < init.length; n++) expect(parseNegotiationToken(init.subarray(0, n))).toBeUndefined();
    expect(parseNegotiationToken(Buffer.from('a180', 'hex'))).toBeUndefined();
    const wrongOid = Buffer.from(init);
    wrongOid[8] ^= 1;
    expect(parseNegotiationToken(wrongOid)).toBeUndefined();
    // [1] { SEQUENCE { [0] ENUM 0, [0] ENUM 0 } }
    expect(parseNegotiationToken(Buffer.from('a10c300aa0030a0100a0030a0100', 'hex'))).toBeUndefined();
  });

  it('reads DER lengths only within bounds', () => {
    expect(readElement(Buffer.from('0484ffffffff00', 'hex'), 0)).toBeUndefined();
    expect(readElement(Buffer.from('048500000000010000', 'hex'), 0)).toBeUndefined();
    expect(readElement(Buffer.from('0481050102030405', 'hex'), 0)).toMatchObject({ tag: 4, start: 3, end: 8 });
  });

  it('encodes and decodes OIDs, refusing oversized arcs', () => {
    for (const oid of [NTLMSSP_OID, KRB5_OID, MS_KRB5_OID, '2.999.3']) {
      expect(decodeOidContent(encodeOidContent(oid))).toBe(oid);
    }
    expect(decodeOidContent(Buffer.from('2bffffffffff7f', 'hex'))).toBeUndefined();
    expect(decodeOidContent(Buffer.from('2b86', 'hex'))).toBeUndefined();
  });
});
