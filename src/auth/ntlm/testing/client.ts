/**
 * An NTLMv2 + SPNEGO *initiator* for tests and fuzzers (excluded from the
 * build): it produces the blobs an SMB client puts in SESSION_SETUP
 * requests and computes the same session key as the server, so in-process
 * SMB tests can authenticate and sign without a real client.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeAuthenticate, HEADER_WITH_MIC } from '../authenticate-message.js';
import { encodeAvPairs, fileTime, findAvPair, parseAvPairs, type AvPair } from '../av-pairs.js';
import { decodeChallenge } from '../challenge-message.js';
import { AUTHENTICATE_MIC_OFFSET, AvId, MSV_AV_FLAG_MIC_PRESENT, NegotiateFlags as F } from '../constants.js';
import { encodeNegotiate } from '../negotiate-message.js';
import { ntHash } from '../nt-hash.js';
import {
  computeMic,
  exchangeSessionKey,
  hmacMd5,
  ntlmv2ClientBlob,
  ntowfV2,
  ntProofStr,
  sessionBaseKey,
} from '../ntlmv2.js';
import { NtlmIntegrity } from '../session-security.js';
import { NTLMSSP_OID } from '../../spnego/oids.js';
import {
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NegState,
  parseNegotiationToken,
} from '../../spnego/tokens.js';

export interface NtlmClientOptions {
  user: string;
  password: string;
  domain: string;
  /** Wrap tokens in SPNEGO (default) or send bare NTLMSSP, as Linux cifs does. */
  spnego?: boolean;
  /** SPNEGO mechTypes in preference order (default: NTLMSSP only). */
  mechTypes?: string[];
  /** Send MsvAvFlags + MIC when the server's CHALLENGE carries a timestamp (default true). */
  sendMic?: boolean;
  /** Send a mechListMIC with AUTHENTICATE (default: same as sendMic). */
  sendMechListMic?: boolean;
  /** Offer NTLMSSP_NEGOTIATE_KEY_EXCH (default true). */
  keyExchange?: boolean;
  /** Fixed values for reproducible tests. */
  clientChallenge?: Buffer;
  randomSessionKey?: Buffer;
}

const CLIENT_FLAGS =
  F.UNICODE |
  F.REQUEST_TARGET |
  F.SIGN |
  F.SEAL |
  F.NTLM |
  F.ALWAYS_SIGN |
  F.EXTENDED_SESSIONSECURITY |
  F.TARGET_INFO |
  F.VERSION |
  F.NEGOTIATE_128 |
  F.NEGOTIATE_56;

export class NtlmClient {
  /** The ExportedSessionKey once AUTHENTICATE was built (what the server returns as AuthResult.sessionKey). */
  sessionKey: Buffer | undefined;
  /** True once the server's accept-completed (and its mechListMIC, if sent) verified. */
  established = false;
  /** The last AUTHENTICATE_MESSAGE built (for tests that tamper with it). */
  authenticateMessage: Buffer | undefined;

  private readonly spnego: boolean;
  private readonly mechTypes: string[];
  private readonly negotiateMsg: Buffer;
  private integrity: { client: NtlmIntegrity; server: NtlmIntegrity } | undefined;
  private sentMechListMic = false;

  constructor(private readonly opts: NtlmClientOptions) {
    this.spnego = opts.spnego ?? true;
    this.mechTypes = opts.mechTypes ?? [NTLMSSP_OID];
    this.negotiateMsg = encodeNegotiate(CLIENT_FLAGS | (opts.keyExchange === false ? 0 : F.KEY_EXCH));
  }

  /** The first SESSION_SETUP blob. */
  initialToken(): Buffer {
    if (!this.spnego) return this.negotiateMsg;
    // RFC 4178 §3.2: an optimistic token only for the preferred mechanism.
    return encodeNegTokenInit(this.mechTypes, this.mechTypes[0] === NTLMSSP_OID ? this.negotiateMsg : undefined);
  }

  /**
   * Consumes the server's blob and returns the next one to send, or
   * undefined when the exchange is complete (check `established`).
   * Throws on a malformed or rejecting server token: this is test code.
   */
  step(serverToken: Buffer): Buffer | undefined {
    if (!this.spnego) {
      if (this.sessionKey) {
        this.established = true;
        return undefined;
      }
      return this.authenticate(serverToken);
    }
    const resp = parseNegotiationToken(serverToken);
    if (!resp || resp.kind !== 'resp') throw new Error('server sent no NegTokenResp');
    if (resp.negState === NegState.REJECT) throw new Error('server rejected the exchange');
    if (resp.negState === NegState.ACCEPT_COMPLETED) {
      this.finish(resp.mechListMIC);
      return undefined;
    }
    if (!resp.responseToken) {
      // The server chose NTLM although it was not our first choice: start NTLM now.
      if (resp.supportedMech !== NTLMSSP_OID) throw new Error(`server chose ${resp.supportedMech}`);
      return encodeNegTokenResp({ responseToken: this.negotiateMsg });
    }
    const authenticate = this.authenticate(resp.responseToken);
    const sendMechListMic = this.opts.sendMechListMic ?? this.opts.sendMic ?? true;
    this.sentMechListMic = sendMechListMic;
    return encodeNegTokenResp({
      responseToken: authenticate,
      mechListMIC: sendMechListMic ? this.integrity!.client.sign(encodeMechTypeList(this.mechTypes)) : undefined,
    });
  }

  private finish(serverMic: Buffer | undefined): void {
    if (!this.integrity) throw new Error('accept-completed before AUTHENTICATE');
    if (serverMic) {
      const expected = this.integrity.server.sign(encodeMechTypeList(this.mechTypes));
      if (serverMic.length !== 16 || !timingSafeEqual(serverMic, expected))
        throw new Error('server mechListMIC mismatch');
    } else if (this.sentMechListMic) {
      throw new Error('server sent no mechListMIC');
    }
    this.established = true;
  }

  /** MS-NLMP §3.1.5.1.2: builds the AUTHENTICATE_MESSAGE for a CHALLENGE_MESSAGE. */
  private authenticate(challengeMsg: Buffer): Buffer {
    const challenge = decodeChallenge(challengeMsg);
    if (!challenge) throw new Error('malformed CHALLENGE_MESSAGE');
    const serverPairs = parseAvPairs(challenge.targetInfo);
    if (!serverPairs) throw new Error('malformed TargetInfo');
    const { user, domain } = this.opts;
    const responseKeyNt = ntowfV2(ntHash(this.opts.password), user, domain);
    const clientChallenge = this.opts.clientChallenge ?? randomBytes(8);
    const serverTime = findAvPair(serverPairs, AvId.TIMESTAMP);
    const withMic = serverTime !== undefined && (this.opts.sendMic ?? true);
    const pairs: AvPair[] = [...serverPairs];
    if (withMic) {
      const flags = Buffer.alloc(4);
      flags.writeUInt32LE(MSV_AV_FLAG_MIC_PRESENT);
      pairs.push([AvId.FLAGS, flags]);
    }
    const temp = ntlmv2ClientBlob(serverTime ?? fileTime(Date.now()), clientChallenge, encodeAvPairs(pairs));
    const proof = ntProofStr(responseKeyNt, challenge.serverChallenge, temp);
    // MS-NLMP §3.1.5.1.2: with MsvAvTimestamp the LmChallengeResponse is Z(24).
    const lmResponse = serverTime
      ? Buffer.alloc(24)
      : Buffer.concat([hmacMd5(responseKeyNt, challenge.serverChallenge, clientChallenge), clientChallenge]);
    const flags = (challenge.flags & (CLIENT_FLAGS | F.KEY_EXCH | F.TARGET_TYPE_DOMAIN | F.TARGET_TYPE_SERVER)) >>> 0;
    const keyExchangeKey = sessionBaseKey(responseKeyNt, proof);
    let exported: Buffer = keyExchangeKey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if (flags & F.KEY_EXCH) {
      exported = this.opts.randomSessionKey ?? randomBytes(16);
      encryptedRandomSessionKey = exchangeSessionKey(keyExchangeKey, exported);
    }
    const msg = encodeAuthenticate(
      {
        flags,
        lmResponse,
        ntResponse: Buffer.concat([proof, temp]),
        domain: Buffer.from(domain, 'utf16le'),
        user: Buffer.from(user, 'utf16le'),
        workstation: Buffer.from('TESTCLIENT', 'utf16le'),
        encryptedRandomSessionKey,
      },
      withMic,
    );
    if (withMic) {
      computeMic(exported, this.negotiateMsg, challengeMsg, msg).copy(msg, AUTHENTICATE_MIC_OFFSET);
    }
    this.sessionKey = exported;
    this.integrity = {
      client: new NtlmIntegrity(exported, flags, 'client-to-server'),
      server: new NtlmIntegrity(exported, flags, 'server-to-client'),
    };
    this.authenticateMessage = msg;
    return msg;
  }
}

/** Offset of the MIC inside an AUTHENTICATE built with a MIC (tests that tamper with it). */
export const MIC_RANGE = [AUTHENTICATE_MIC_OFFSET, HEADER_WITH_MIC] as const;

/**
 * Runs a whole exchange between `client` and a server SecurityContext-like
 * stepper, returning the server's last StepResult (helper for SMB tests).
 */
export async function authenticate<R extends { state: string; output?: Buffer }>(
  client: NtlmClient,
  serverStep: (blob: Buffer) => Promise<R>,
): Promise<R> {
  let blob: Buffer | undefined = client.initialToken();
  for (let round = 0; round < 5; round++) {
    const r = await serverStep(blob);
    if (r.state !== 'continue') {
      if (r.state === 'done' && r.output) client.step(r.output);
      else if (r.state === 'done') client.established = true;
      return r;
    }
    blob = client.step(r.output!);
    if (!blob) throw new Error('client finished while the server wants more');
  }
  throw new Error('too many rounds');
}
