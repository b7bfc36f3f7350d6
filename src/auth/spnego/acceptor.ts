import type { Logger } from '../../observability/logger.js';
import type { SecurityContext, StepResult } from '../api.js';
import { NTLMSSP_OID } from './oids.js';
import type { Mechanism, MechanismContext, MechanismStep } from './mechanism.js';
import { encodeNegTokenResp, NegState, parseNegotiationToken, type NegTokenInit } from './tokens.js';

const NTLMSSP_PREFIX = Buffer.from('NTLMSSP\0', 'latin1');

type Mode = 'start' | 'spnego' | 'raw' | 'finished';

/**
 * The server side of one SPNEGO exchange (RFC 4178, MS-SPNG) over the
 * given mechanisms. Also accepts bare NTLMSSP tokens (no SPNEGO wrapping),
 * which some SMB clients (Linux cifs with sec=ntlmssp) send; replies then
 * stay bare too.
 */
export class SpnegoAcceptor implements SecurityContext {
  private mode: Mode = 'start';
  private mech: MechanismContext | undefined;
  private mechOid = '';
  private mechTypesDer: Buffer = Buffer.alloc(0);
  /** RFC 4178 §5: the selected mechanism was not the initiator's first choice, so mechListMIC is mandatory. */
  private micRequired = false;

  constructor(
    private readonly mechanisms: readonly Mechanism[],
    private readonly logger: Logger,
  ) {}

  async step(input: Buffer): Promise<StepResult> {
    try {
      return await this.dispatch(input);
    } catch (err) {
      // Every decoder returns undefined on bad input; this is a last line of defence.
      this.logger.warn({ err }, 'spnego: unexpected failure');
      return this.deny('spnego: internal error');
    }
  }

  private async dispatch(input: Buffer): Promise<StepResult> {
    switch (this.mode) {
      case 'start':
        return this.first(input);
      case 'raw':
        return this.raw(input);
      case 'spnego':
        return this.next(input);
      default:
        return { state: 'denied', reason: 'spnego: exchange already finished' };
    }
  }

  private async first(input: Buffer): Promise<StepResult> {
    if (input.length >= 8 && input.subarray(0, 8).equals(NTLMSSP_PREFIX)) {
      const ntlm = this.mechanisms.find((m) => m.oid === NTLMSSP_OID);
      if (!ntlm) return this.deny('spnego: raw NTLMSSP but NTLM is not enabled');
      this.mode = 'raw';
      this.mech = ntlm.newContext();
      return this.raw(input);
    }
    const token = parseNegotiationToken(input);
    if (!token || token.kind !== 'init') return this.deny('spnego: expected NegTokenInit', true);
    return this.init(token);
  }

  private async init(token: NegTokenInit): Promise<StepResult> {
    // RFC 4178 §3.2: pick the first of the initiator's mechanisms that we support.
    let index = -1;
    let mechanism: Mechanism | undefined;
    for (let i = 0; i < token.mechTypes.length && !mechanism; i++) {
      mechanism = this.mechanisms.find((m) => m.oid === token.mechTypes[i]);
      if (mechanism) index = i;
    }
    if (!mechanism) return this.deny(`spnego: no common mechanism (offered ${token.mechTypes.join(', ')})`, true);
    this.mode = 'spnego';
    this.mech = mechanism.newContext();
    this.mechOid = mechanism.oid;
    this.mechTypesDer = token.mechTypesDer;
    this.micRequired = index !== 0;
    // RFC 4178 §3.2: an optimistic mechToken belongs to the initiator's first
    // choice; when we pick another mechanism it is ignored and we ask for a MIC.
    if (index !== 0 || !token.mechToken) {
      return {
        state: 'continue',
        output: encodeNegTokenResp({
          negState: index !== 0 ? NegState.REQUEST_MIC : NegState.ACCEPT_INCOMPLETE,
          supportedMech: this.mechOid,
        }),
      };
    }
    return this.afterMech(await this.mech.step(token.mechToken), token.mechListMIC, true);
  }

  private async next(input: Buffer): Promise<StepResult> {
    const token = parseNegotiationToken(input);
    if (!token || token.kind !== 'resp') return this.deny('spnego: expected NegTokenResp', true);
    if (token.negState === NegState.REJECT) return this.deny('spnego: initiator rejected');
    if (!token.responseToken) return this.deny('spnego: NegTokenResp without a mechanism token', true);
    return this.afterMech(await this.mech!.step(token.responseToken), token.mechListMIC, false);
  }

  private async afterMech(step: MechanismStep, peerMic: Buffer | undefined, firstReply: boolean): Promise<StepResult> {
    const supportedMech = firstReply ? this.mechOid : undefined;
    if (step.state === 'denied') return this.deny(step.reason, true);
    if (step.state === 'continue') {
      return {
        state: 'continue',
        output: encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech, responseToken: step.token }),
      };
    }
    // RFC 4178 §5 / MS-SPNG §3.2.5.1: verify the initiator's mechListMIC when
    // sent; it is mandatory when the mechanism was not the first choice and
    // the mechanism can produce one. Answer with our own MIC over the same list.
    let mechListMIC: Buffer | undefined;
    if (peerMic) {
      if (!step.integrity.verifyPeerMic(this.mechTypesDer, peerMic))
        return this.deny('spnego: mechListMIC mismatch', true);
      mechListMIC = step.integrity.getMic(this.mechTypesDer);
    } else if (this.micRequired && step.integrity.peerSupportsMechListMic) {
      return this.deny('spnego: mechListMIC missing although the mechanism was not the first choice', true);
    }
    this.mode = 'finished';
    return {
      state: 'done',
      output: encodeNegTokenResp({
        negState: NegState.ACCEPT_COMPLETED,
        supportedMech,
        responseToken: step.token,
        mechListMIC,
      }),
      result: step.result,
    };
  }

  private async raw(input: Buffer): Promise<StepResult> {
    const step = await this.mech!.step(input);
    if (step.state === 'denied') return this.deny(step.reason);
    if (step.state === 'continue') return { state: 'continue', output: step.token };
    this.mode = 'finished';
    return step.token
      ? { state: 'done', output: step.token, result: step.result }
      : { state: 'done', result: step.result };
  }

  private deny(reason: string, spnegoReply = false): StepResult {
    const wasSpnego = spnegoReply && this.mode !== 'raw';
    this.mode = 'finished';
    return wasSpnego
      ? { state: 'denied', output: encodeNegTokenResp({ negState: NegState.REJECT }), reason }
      : { state: 'denied', reason };
  }
}
