import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { AccountLookup } from '../api.js';
import type { Mechanism, MechanismContext, MechanismStep } from '../spnego/mechanism.js';
import { NTLMSSP_OID } from '../spnego/oids.js';
import { decodeAuthenticate, HEADER_WITH_MIC } from './authenticate-message.js';
import { encodeAvPairs, fileTime, findAvPair, parseAvPairs } from './av-pairs.js';
import { encodeChallenge } from './challenge-message.js';
import {
  AUTHENTICATE_MIC_OFFSET,
  AvId,
  MIC_LENGTH,
  MSV_AV_FLAG_MIC_PRESENT,
  NT_PROOF_LENGTH,
  NTLMV2_CLIENT_CHALLENGE_HEADER,
  NegotiateFlags as F,
} from './constants.js';
import { decodeNegotiate } from './negotiate-message.js';
import { computeMic, exchangeSessionKey, ntowfV2, ntProofStr, sessionBaseKey } from './ntlmv2.js';
import { decodeUnicode } from './payload-fields.js';
import { NtlmIntegrity } from './session-security.js';

export interface NtlmAcceptorOptions {
  lookup: AccountLookup;
  /** NetBIOS computer name advertised in TargetInfo (MsvAvNbComputerName). */
  serverName: string;
  /** NetBIOS domain name advertised as TargetName and MsvAvNbDomainName. */
  domain: string;
  /** DNS names for MsvAvDnsComputerName/MsvAvDnsDomainName; default to the NetBIOS names. */
  dnsServerName?: string;
  dnsDomain?: string;
  logger: Logger;
  /** Clock for MsvAvTimestamp (tests). */
  now?: () => number;
  /** Source of the 8-byte ServerChallenge; random by default. Tests fix it to replay one AUTHENTICATE. */
  serverChallenge?: () => Buffer;
}

/**
 * Flags the server is willing to grant (MS-NLMP §3.2.5.1.1). LM_KEY,
 * DATAGRAM and anonymous are never granted; NTLMv2 always uses extended
 * session security.
 */
const GRANTABLE =
  F.UNICODE |
  F.REQUEST_TARGET |
  F.SIGN |
  F.SEAL |
  F.NTLM |
  F.ALWAYS_SIGN |
  F.EXTENDED_SESSIONSECURITY |
  F.NEGOTIATE_128 |
  F.KEY_EXCH |
  F.NEGOTIATE_56;

/** The NTLM (NTLMv2 only) GSS mechanism, server side. */
export function createNtlmMechanism(opts: NtlmAcceptorOptions): Mechanism {
  return { oid: NTLMSSP_OID, newContext: () => new NtlmAcceptorContext(opts) };
}

type Phase = 'negotiate' | 'authenticate' | 'finished';

class NtlmAcceptorContext implements MechanismContext {
  private phase: Phase = 'negotiate';
  private negotiateMsg: Buffer = Buffer.alloc(0);
  private challengeMsg: Buffer = Buffer.alloc(0);
  private serverChallenge: Buffer = Buffer.alloc(0);

  constructor(private readonly opts: NtlmAcceptorOptions) {}

  async step(token: Buffer): Promise<MechanismStep> {
    try {
      if (this.phase === 'negotiate') return this.onNegotiate(token);
      if (this.phase === 'authenticate') {
        this.phase = 'finished';
        return await this.onAuthenticate(Buffer.from(token));
      }
      return { state: 'denied', reason: 'ntlm: exchange already finished' };
    } catch (err) {
      // Decoders are bounds-checked; this only guards against a lookup that throws.
      this.phase = 'finished';
      this.opts.logger.warn({ err }, 'ntlm: authentication failed unexpectedly');
      return { state: 'denied', reason: 'ntlm: internal error' };
    }
  }

  private onNegotiate(token: Buffer): MechanismStep {
    const negotiate = decodeNegotiate(token);
    if (!negotiate) {
      this.phase = 'finished';
      return { state: 'denied', reason: 'ntlm: malformed NEGOTIATE_MESSAGE' };
    }
    // Only Unicode is spoken: every NTLMv2-capable client offers it.
    if (!(negotiate.flags & F.UNICODE)) {
      this.phase = 'finished';
      return { state: 'denied', reason: 'ntlm: client does not offer Unicode' };
    }
    const { serverName, domain } = this.opts;
    // MS-NLMP §3.2.5.1.1: echo the client's choices we support; always set
    // TARGET_INFO (NTLMv2 needs it) and VERSION; ESS wins over LM_KEY.
    let flags =
      (negotiate.flags & GRANTABLE) |
      F.UNICODE |
      F.NTLM |
      F.TARGET_INFO |
      F.VERSION |
      F.TARGET_TYPE_DOMAIN |
      F.EXTENDED_SESSIONSECURITY;
    if (negotiate.flags & F.REQUEST_TARGET) flags |= F.REQUEST_TARGET;
    this.serverChallenge = this.opts.serverChallenge?.() ?? randomBytes(8);
    const now = this.opts.now?.() ?? Date.now();
    // MS-NLMP §2.2.2.1: a CHALLENGE with MsvAvTimestamp tells the client to
    // send a MIC in AUTHENTICATE, which binds all three messages.
    const targetInfo = encodeAvPairs([
      [AvId.NB_DOMAIN_NAME, Buffer.from(domain.toUpperCase(), 'utf16le')],
      [AvId.NB_COMPUTER_NAME, Buffer.from(serverName.toUpperCase(), 'utf16le')],
      [AvId.DNS_DOMAIN_NAME, Buffer.from((this.opts.dnsDomain ?? domain).toLowerCase(), 'utf16le')],
      [AvId.DNS_COMPUTER_NAME, Buffer.from((this.opts.dnsServerName ?? serverName).toLowerCase(), 'utf16le')],
      [AvId.TIMESTAMP, fileTime(now)],
    ]);
    this.negotiateMsg = Buffer.from(token);
    this.challengeMsg = encodeChallenge({
      flags: flags >>> 0,
      serverChallenge: this.serverChallenge,
      targetName: Buffer.from(domain.toUpperCase(), 'utf16le'),
      targetInfo,
    });
    this.phase = 'authenticate';
    return { state: 'continue', token: this.challengeMsg };
  }

  private async onAuthenticate(msg: Buffer): Promise<MechanismStep> {
    const auth = decodeAuthenticate(msg);
    if (!auth) return denied('malformed AUTHENTICATE_MESSAGE');
    if (auth.flags & F.ANONYMOUS) return denied('anonymous logon refused');
    if (!(auth.flags & F.UNICODE)) return denied('non-Unicode AUTHENTICATE refused');
    const user = decodeUnicode(auth.user);
    const domain = decodeUnicode(auth.domain);
    if (user === undefined || domain === undefined) return denied('malformed user or domain name');
    // MS-NLMP §3.2.5.1.2: an empty user with empty responses is an anonymous (NULL session) logon.
    if (user.length === 0) return denied('anonymous logon refused');
    // MS-NLMP §2.2.2.8: a longer NtChallengeResponse is NTLMv2; 24 bytes is NTLMv1; none is LM-only.
    if (auth.ntResponse.length <= 24) return denied('NTLMv1/LM responses refused (NTLMv2 only)');
    if (auth.ntResponse.length < NT_PROOF_LENGTH + NTLMV2_CLIENT_CHALLENGE_HEADER)
      return denied('short NTLMv2 response');
    const proof = auth.ntResponse.subarray(0, NT_PROOF_LENGTH);
    const temp = auth.ntResponse.subarray(NT_PROOF_LENGTH);
    // MS-NLMP §2.2.2.7: RespType and HiRespType are both 1.
    if (temp[0] !== 1 || temp[1] !== 1) return denied('unknown NTLMv2 response version');
    const clientPairs = parseAvPairs(temp.subarray(NTLMV2_CLIENT_CHALLENGE_HEADER));
    if (!clientPairs) return denied('malformed NTLMv2 AV pairs');

    const account = await this.opts.lookup(user, domain);
    if (!account) return denied('unknown user');
    if (account.ntHash.length !== 16) return denied('account has no NT hash');

    const responseKeyNt = ntowfV2(account.ntHash, user, domain);
    const expectedProof = ntProofStr(responseKeyNt, this.serverChallenge, temp);
    if (!timingSafeEqual(expectedProof, proof)) return denied('wrong password');
    if (!account.enabled) return denied('account disabled');

    // MS-NLMP §3.4.5.1: for NTLMv2 KeyExchangeKey = SessionBaseKey.
    const keyExchangeKey = sessionBaseKey(responseKeyNt, proof);
    let exportedSessionKey = keyExchangeKey;
    if (auth.flags & F.KEY_EXCH) {
      if (auth.encryptedRandomSessionKey.length !== 16) return denied('KEY_EXCH without a 16-byte session key');
      exportedSessionKey = exchangeSessionKey(keyExchangeKey, auth.encryptedRandomSessionKey);
    }

    // MS-NLMP §3.2.5.1.2: when MsvAvFlags says a MIC is present, it must verify.
    const avFlags = findAvPair(clientPairs, AvId.FLAGS);
    const micPresent =
      avFlags !== undefined && avFlags.length === 4 && (avFlags.readUInt32LE(0) & MSV_AV_FLAG_MIC_PRESENT) !== 0;
    if (micPresent) {
      if (msg.length < HEADER_WITH_MIC) return denied('MIC flagged but message too short');
      const mic = msg.subarray(AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + MIC_LENGTH);
      const expectedMic = computeMic(exportedSessionKey, this.negotiateMsg, this.challengeMsg, msg);
      if (!timingSafeEqual(expectedMic, mic)) return denied('MIC mismatch');
    }

    const flags = auth.flags;
    const clientIntegrity = new NtlmIntegrity(exportedSessionKey, flags, 'client-to-server');
    const serverIntegrity = new NtlmIntegrity(exportedSessionKey, flags, 'server-to-client');
    this.opts.logger.debug({ user: account.name, domain }, 'ntlm: authenticated');
    return {
      state: 'done',
      result: {
        user: account.name,
        domain,
        uid: account.uid,
        gid: account.gid,
        gids: [...account.gids],
        sessionKey: exportedSessionKey,
        mechanism: 'ntlm',
      },
      integrity: {
        peerSupportsMechListMic: micPresent,
        verifyPeerMic: (data, mic) => clientIntegrity.verify(data, mic),
        getMic: (data) => serverIntegrity.sign(data),
      },
    };
  }
}

function denied(reason: string): MechanismStep {
  return { state: 'denied', reason: `ntlm: ${reason}` };
}
