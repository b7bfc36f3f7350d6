import { describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/logger.js';
import type { StepResult } from './api.js';
import { authenticate, NtlmClient, type NtlmClientOptions } from './ntlm/testing/client.js';
import { createSmbAuthenticator } from './smb-authenticator.js';
import { KRB5_OID, MS_KRB5_OID, NTLMSSP_OID } from './spnego/oids.js';
import { NegState, parseNegotiationToken } from './spnego/tokens.js';
import { lookupFrom, testAccount } from './testing/accounts.js';

const auth = createSmbAuthenticator({
  lookup: lookupFrom([testAccount('alice', 'Secret#1')]),
  serverName: 'dittofs',
  domain: 'WORKGROUP',
  logger: silentLogger,
});

function client(opts: Partial<NtlmClientOptions> = {}) {
  return new NtlmClient({ user: 'alice', password: 'Secret#1', domain: 'WORKGROUP', ...opts });
}

async function run(c: NtlmClient): Promise<StepResult> {
  const ctx = auth.newContext();
  return authenticate(c, (blob) => ctx.step(blob));
}

function negState(r: StepResult): number | undefined {
  const t = r.output ? parseNegotiationToken(r.output) : undefined;
  return t?.kind === 'resp' ? t.negState : undefined;
}

describe('SMB authenticator: SPNEGO over NTLMv2', () => {
  it('hints NTLMSSP in the NEGOTIATE token', () => {
    expect(parseNegotiationToken(auth.negotiateToken())).toMatchObject({ kind: 'init', mechTypes: [NTLMSSP_OID] });
  });

  it('completes with accept-completed and a mechListMIC the client verifies; both sides share the key', async () => {
    const c = client();
    const r = await run(c);
    expect(r.state).toBe('done');
    if (r.state !== 'done') return;
    expect(negState(r)).toBe(NegState.ACCEPT_COMPLETED);
    const final = parseNegotiationToken(r.output!);
    expect(final?.kind === 'resp' && final.mechListMIC?.length).toBe(16);
    expect(c.established).toBe(true);
    expect(r.result.sessionKey.equals(c.sessionKey!)).toBe(true);
    expect(r.result).toMatchObject({ user: 'alice', uid: 1000, gids: [1000, 27], mechanism: 'ntlm' });
  });

  it('accepts raw NTLMSSP without SPNEGO and answers raw', async () => {
    const c = client({ spnego: false });
    const r = await run(c);
    expect(r.state).toBe('done');
    if (r.state !== 'done') return;
    expect(r.output).toBeUndefined();
    expect(r.result.sessionKey.equals(c.sessionKey!)).toBe(true);
  });

  it('selects NTLM from a Kerberos-first list with request-mic, and completes with the mechListMIC', async () => {
    const c = client({ mechTypes: [MS_KRB5_OID, KRB5_OID, NTLMSSP_OID] });
    const first = await auth.newContext().step(c.initialToken());
    expect(first.state).toBe('continue');
    expect(negState(first)).toBe(NegState.REQUEST_MIC);
    const r = await run(c);
    expect(r.state).toBe('done');
    expect(c.established).toBe(true);
  });

  it('refuses a missing mechListMIC when NTLM was not the first choice (downgrade protection)', async () => {
    const r = await run(client({ mechTypes: [KRB5_OID, NTLMSSP_OID], sendMechListMic: false }));
    expect(r).toMatchObject({ state: 'denied', reason: expect.stringMatching(/mechListMIC missing/) });
    expect(negState(r)).toBe(NegState.REJECT);
  });

  it('accepts an old client that sends neither MIC nor mechListMIC when NTLM is its first choice', async () => {
    const c = client({ sendMic: false });
    const r = await run(c);
    expect(r.state).toBe('done');
    const final = r.output ? parseNegotiationToken(r.output) : undefined;
    expect(final?.kind === 'resp' && final.mechListMIC).toBeUndefined();
  });

  it('refuses a wrong password and a tampered mechListMIC with a SPNEGO reject', async () => {
    const wrong = await run(client({ password: 'bad' }));
    expect(wrong).toMatchObject({ state: 'denied', reason: expect.stringMatching(/wrong password/) });
    expect(negState(wrong)).toBe(NegState.REJECT);

    const c = client();
    const ctx = auth.newContext();
    const r1 = await ctx.step(c.initialToken());
    const blob = c.step(r1.output!)!;
    blob[blob.length - 3] ^= 1; // inside the trailing mechListMIC
    const r2 = await ctx.step(blob);
    expect(r2).toMatchObject({ state: 'denied', reason: expect.stringMatching(/mechListMIC/) });
  });

  it('refuses tokens with no common mechanism, a NegTokenResp first, and steps after the end', async () => {
    const kerberosOnly = await auth.newContext().step(client({ mechTypes: [KRB5_OID] }).initialToken());
    expect(kerberosOnly).toMatchObject({ state: 'denied', reason: expect.stringMatching(/no common mechanism/) });
    const ctx = auth.newContext();
    const c = client();
    const r1 = await ctx.step(c.initialToken());
    const respFirst = await auth.newContext().step(r1.output!);
    expect(respFirst.state).toBe('denied');
    const r2 = await ctx.step(c.step(r1.output!)!);
    expect(r2.state).toBe('done');
    expect((await ctx.step(r1.output!)).state).toBe('denied');
    expect((await auth.newContext().step(Buffer.alloc(0))).state).toBe('denied');
  });
});
