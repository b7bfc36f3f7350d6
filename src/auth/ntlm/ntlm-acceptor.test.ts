import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../observability/logger.js';
import { lookupFrom, testAccount } from '../testing/accounts.js';
import { decodeAuthenticate, encodeAuthenticate } from './authenticate-message.js';
import { decodeChallenge } from './challenge-message.js';
import { AvId, NegotiateFlags } from './constants.js';
import { createNtlmMechanism } from './ntlm-acceptor.js';
import { parseAvPairs, findAvPair } from './av-pairs.js';
import { NtlmClient, type NtlmClientOptions } from './testing/client.js';
import type { MechanismStep } from '../spnego/mechanism.js';

const accounts = [testAccount('alice', 'Secret#1'), testAccount('bob', 'pw', { enabled: false })];

function mechanism() {
  return createNtlmMechanism({
    lookup: lookupFrom(accounts),
    serverName: 'dittofs',
    domain: 'WORKGROUP',
    logger: silentLogger,
  });
}

/** Raw NTLMSSP exchange; `tamper` may rewrite the AUTHENTICATE message before the server sees it. */
async function exchange(
  opts: Partial<NtlmClientOptions> = {},
  tamper?: (auth: Buffer) => Buffer,
): Promise<{ step: MechanismStep; client: NtlmClient }> {
  const client = new NtlmClient({ user: 'alice', password: 'Secret#1', domain: 'WORKGROUP', spnego: false, ...opts });
  const ctx = mechanism().newContext();
  const challenge = await ctx.step(client.initialToken());
  if (challenge.state !== 'continue') throw new Error(`unexpected ${challenge.state}`);
  let auth = client.step(challenge.token)!;
  if (tamper) auth = tamper(Buffer.from(auth));
  return { step: await ctx.step(auth), client };
}

describe('NTLM acceptor (NTLMv2 only)', () => {
  it('sends a CHALLENGE with TargetInfo names and an MsvAvTimestamp', async () => {
    const client = new NtlmClient({ user: 'alice', password: 'x', domain: 'D', spnego: false });
    const step = await mechanism().newContext().step(client.initialToken());
    expect(step.state).toBe('continue');
    const challenge = decodeChallenge((step as { token: Buffer }).token)!;
    expect(challenge.flags & NegotiateFlags.TARGET_INFO).toBeTruthy();
    expect(challenge.flags & NegotiateFlags.EXTENDED_SESSIONSECURITY).toBeTruthy();
    expect(challenge.flags & NegotiateFlags.KEY_EXCH).toBeTruthy();
    expect(challenge.targetName.toString('utf16le')).toBe('WORKGROUP');
    const pairs = parseAvPairs(challenge.targetInfo)!;
    expect(findAvPair(pairs, AvId.NB_COMPUTER_NAME)!.toString('utf16le')).toBe('DITTOFS');
    expect(findAvPair(pairs, AvId.NB_DOMAIN_NAME)!.toString('utf16le')).toBe('WORKGROUP');
    expect(findAvPair(pairs, AvId.TIMESTAMP)!.length).toBe(8);
  });

  it('authenticates with a MIC and KEY_EXCH, yielding the client session key', async () => {
    const { step, client } = await exchange();
    expect(step.state).toBe('done');
    if (step.state !== 'done') return;
    expect(step.result).toMatchObject({ user: 'alice', domain: 'WORKGROUP', uid: 1000, gid: 1000, mechanism: 'ntlm' });
    expect(step.result.sessionKey.equals(client.sessionKey!)).toBe(true);
    expect(step.integrity.peerSupportsMechListMic).toBe(true);
  });

  it('matches the user name case-insensitively (NTOWFv2 uppercases it)', async () => {
    const { step } = await exchange({ user: 'ALICE' });
    expect(step.state).toBe('done');
    if (step.state === 'done') expect(step.result.user).toBe('alice');
  });

  it('without KEY_EXCH the session key is the session base key, still shared', async () => {
    const { step, client } = await exchange({ keyExchange: false });
    expect(step.state).toBe('done');
    if (step.state === 'done') expect(step.result.sessionKey.equals(client.sessionKey!)).toBe(true);
  });

  it('accepts clients that send no MIC (no MsvAvFlags)', async () => {
    const { step } = await exchange({ sendMic: false });
    expect(step.state).toBe('done');
    if (step.state === 'done') expect(step.integrity.peerSupportsMechListMic).toBe(false);
  });

  it.each([
    ['wrong password', { password: 'nope' }, /wrong password/],
    ['unknown user', { user: 'mallory' }, /unknown user/],
    ['disabled account', { user: 'bob', password: 'pw' }, /disabled/],
  ])('refuses a %s', async (_name, opts, reason) => {
    const { step } = await exchange(opts);
    expect(step.state).toBe('denied');
    if (step.state === 'denied') expect(step.reason).toMatch(reason);
  });

  it('refuses a tampered MIC and a tampered NTLMv2 blob', async () => {
    const micFlip = await exchange({}, (a) => ((a[80] ^= 1), a));
    expect(micFlip.step).toMatchObject({ state: 'denied', reason: expect.stringMatching(/MIC/) });
    const blobFlip = await exchange({}, (a) => ((a[a.length - 6] ^= 1), a));
    expect(blobFlip.step.state).toBe('denied');
  });

  it('refuses a message whose MIC was stripped while MsvAvFlags still claims one', async () => {
    const { step } = await exchange({}, (a) => {
      const m = decodeAuthenticate(a)!;
      return encodeAuthenticate(m, false);
    });
    expect(step.state).toBe('denied');
  });

  it('refuses anonymous, NTLMv1 and LM-only AUTHENTICATE messages', async () => {
    const rewrite = (patch: (m: NonNullable<ReturnType<typeof decodeAuthenticate>>) => void) => (a: Buffer) => {
      const m = decodeAuthenticate(a)!;
      const copy = { ...m };
      patch(copy);
      return encodeAuthenticate(copy, true);
    };
    const anonymous = await exchange(
      {},
      rewrite((m) => {
        m.user = Buffer.alloc(0);
        m.ntResponse = Buffer.alloc(0);
        m.lmResponse = Buffer.alloc(1);
      }),
    );
    expect(anonymous.step).toMatchObject({ state: 'denied', reason: expect.stringMatching(/anonymous/) });
    const anonymousFlag = await exchange(
      {},
      rewrite((m) => (m.flags |= NegotiateFlags.ANONYMOUS)),
    );
    expect(anonymousFlag.step).toMatchObject({ state: 'denied', reason: expect.stringMatching(/anonymous/) });
    const v1 = await exchange(
      {},
      rewrite((m) => (m.ntResponse = Buffer.alloc(24, 1))),
    );
    expect(v1.step).toMatchObject({ state: 'denied', reason: expect.stringMatching(/NTLMv1/) });
    const lmOnly = await exchange(
      {},
      rewrite((m) => (m.ntResponse = Buffer.alloc(0))),
    );
    expect(lmOnly.step).toMatchObject({ state: 'denied', reason: expect.stringMatching(/NTLMv1\/LM/) });
  });

  it('refuses a second AUTHENTICATE on a finished context and a lookup that throws', async () => {
    const client = new NtlmClient({ user: 'alice', password: 'Secret#1', domain: 'W', spnego: false });
    const ctx = createNtlmMechanism({
      lookup: async () => {
        throw new Error('db down');
      },
      serverName: 's',
      domain: 'd',
      logger: silentLogger,
    }).newContext();
    const challenge = await ctx.step(client.initialToken());
    const auth = client.step((challenge as { token: Buffer }).token)!;
    expect((await ctx.step(auth)).state).toBe('denied');
    expect((await ctx.step(auth)).state).toBe('denied');
  });
});
