import { describe, expect, it } from 'vitest';
import { decodeAuthenticate } from './ntlm/authenticate-message.js';
import { findAvPair, parseAvPairs } from './ntlm/av-pairs.js';
import { decodeChallenge } from './ntlm/challenge-message.js';
import { AvId, MSV_AV_FLAG_MIC_PRESENT, NegotiateFlags } from './ntlm/constants.js';
import { decodeNegotiate } from './ntlm/negotiate-message.js';
import { computeMic } from './ntlm/ntlmv2.js';
import { NtlmIntegrity } from './ntlm/session-security.js';
import { NTLMSSP_OID } from './spnego/oids.js';
import { parseNegotiationToken } from './spnego/tokens.js';

/**
 * A real Windows 10 SMB 3.1.1 NTLM session setup, from Microsoft's "SMB
 * 3.1.1 Pre-authentication integrity in Windows 10" blog vectors, with the
 * published session key (the NTLM ExportedSessionKey). The password is not
 * published, so this checks everything after the NTProofStr: SPNEGO
 * parsing of Windows tokens, the AUTHENTICATE MIC, and the mechListMIC.
 */
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const setupRequest1 = hex(`
  FE534D4240000100000000000100800000000000000000000200000000000000FFFE000000000000
  00000000000000000000000000000000000000000000000019000001010000000000000058004A00
  0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A
  04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000
  000F`);
const setupResponse1 = hex(`
  FE534D4240000100160000C00100010001000000000000000200000000000000FFFE000000000000
  190000000010000000000000000000000000000000000000090000004800B300A181B03081ADA003
  0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038
  00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53
  005500540033003100310002000C0053005500540033003100310001000C00530055005400330031
  00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1
  A1F5ADCBAED00100000000`);
const setupRequest2 = hex(`
  FE534D4240000100000000000100800000000000000000000300000000000000FFFE000000000000
  1900000000100000000000000000000000000000000000001900000101000000000000005800CF01
  0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000
  001800180090000000EE00EE00A80000000C000C00580000001A001A0064000000120012007E0000
  001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055
  005400330031003100610064006D0069006E006900730074007200610074006F0072004400520049
  0056004500520033003100310000000000000000000000000000000000000000000000000063078E
  B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F000000
  0002000C0053005500540033003100310001000C0053005500540033003100310004000C00530055
  00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED001060004
  00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B
  8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A00100000000000000000000000000000000000090016
  0063006900660073002F005300550054003300310031000000000000000000000000003B9BDFF38F
  5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000`);
const exportedSessionKey = hex('270E1BA896585EEB7AF3472D3B4C75A7');

/** MS-SMB2 §2.2.5/§2.2.6: SecurityBufferOffset/Length at body+12 (request) or body+4 (response). */
const requestBlob = (m: Buffer) => m.subarray(m.readUInt16LE(76), m.readUInt16LE(76) + m.readUInt16LE(78));
const responseBlob = (m: Buffer) => m.subarray(m.readUInt16LE(68), m.readUInt16LE(68) + m.readUInt16LE(70));

describe('a captured Windows 10 NTLM exchange', () => {
  const init = parseNegotiationToken(requestBlob(setupRequest1));
  const challengeResp = parseNegotiationToken(responseBlob(setupResponse1));
  const authResp = parseNegotiationToken(requestBlob(setupRequest2));

  it('parses the SPNEGO tokens of both sides', () => {
    expect(init).toMatchObject({ kind: 'init', mechTypes: [NTLMSSP_OID] });
    expect(challengeResp).toMatchObject({ kind: 'resp', negState: 1, supportedMech: NTLMSSP_OID });
    expect(authResp).toMatchObject({ kind: 'resp', negState: 1 });
    expect(authResp?.kind === 'resp' && authResp.mechListMIC?.length).toBe(16);
  });

  it('decodes NEGOTIATE, CHALLENGE and AUTHENTICATE with their fields', () => {
    if (init?.kind !== 'init' || challengeResp?.kind !== 'resp' || authResp?.kind !== 'resp') throw new Error('parse');
    expect(decodeNegotiate(init.mechToken!)?.flags).toBe(0xe2088297);
    const challenge = decodeChallenge(challengeResp.responseToken!)!;
    expect(challenge.targetName.toString('utf16le')).toBe('SUT311');
    expect(findAvPair(parseAvPairs(challenge.targetInfo)!, AvId.TIMESTAMP)?.length).toBe(8);
    const auth = decodeAuthenticate(authResp.responseToken!)!;
    expect(auth.user.toString('utf16le')).toBe('administrator');
    expect(auth.domain.toString('utf16le')).toBe('SUT311');
    expect(auth.flags & NegotiateFlags.KEY_EXCH).toBeTruthy();
    expect(auth.ntResponse.length).toBe(0xee);
    const blobPairs = parseAvPairs(auth.ntResponse.subarray(16 + 28))!;
    expect(findAvPair(blobPairs, AvId.FLAGS)!.readUInt32LE(0) & MSV_AV_FLAG_MIC_PRESENT).toBeTruthy();
  });

  it('verifies the AUTHENTICATE MIC and the client mechListMIC with the published session key', () => {
    if (init?.kind !== 'init' || challengeResp?.kind !== 'resp' || authResp?.kind !== 'resp') throw new Error('parse');
    const authMsg = authResp.responseToken!;
    const mic = computeMic(exportedSessionKey, init.mechToken!, challengeResp.responseToken!, authMsg);
    expect(mic.equals(authMsg.subarray(72, 88))).toBe(true);
    const flags = decodeAuthenticate(authMsg)!.flags;
    const client = new NtlmIntegrity(exportedSessionKey, flags, 'client-to-server');
    expect(client.verify(init.mechTypesDer, authResp.mechListMIC!)).toBe(true);
  });
});
