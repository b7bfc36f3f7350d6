import { describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/logger.js';
import type { StepResult } from './api.js';
import { createNtlmMechanism } from './ntlm/ntlm-acceptor.js';
import { NtlmClient } from './ntlm/testing/client.js';
import { SpnegoAcceptor } from './spnego/acceptor.js';
import { lookupFrom, testAccount } from './testing/accounts.js';

// A fixed challenge and clock make one client AUTHENTICATE valid for every
// fresh context, so mutations reach the proof, KEY_EXCH, MIC and mechListMIC checks.
const mechanisms = [
  createNtlmMechanism({
    lookup: lookupFrom([testAccount('alice', 'Secret#1')]),
    serverName: 'dittofs',
    domain: 'WORKGROUP',
    logger: silentLogger,
    now: () => 1_700_000_000_000,
    serverChallenge: () => Buffer.from('0123456789abcdef', 'hex'),
  }),
];
const newContext = () => new SpnegoAcceptor(mechanisms, silentLogger);

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Buffer, rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  let b = Buffer.from(input);
  const edits = 1 + int(3);
  for (let e = 0; e < edits; e++) {
    switch (int(6)) {
      case 0: // bit flip
        b[int(b.length)] ^= 1 << int(8);
        break;
      case 1: // interesting byte (length/offset boundaries)
        b[int(b.length)] = [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff][int(6)];
        break;
      case 2: // truncate
        b = b.subarray(0, int(b.length));
        break;
      case 3: // extend with junk
        b = Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256)))]);
        break;
      case 4: {
        // huge 16/32-bit value somewhere (NTLM Len/MaxLen/BufferOffset fields)
        if (b.length >= 4) b.writeUInt32LE([0xffffffff, 0x0000ffff, 0x7fffffff, b.length][int(4)], int(b.length - 3));
        break;
      }
      default: // duplicate a slice
        if (b.length > 0) {
          const at = int(b.length);
          b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + int(16)), b.subarray(at)]);
        }
    }
    if (b.length === 0) break;
  }
  return b;
}

async function firstResponse(token: Buffer) {
  return newContext().step(token);
}

describe('hostile input: mutated SPNEGO/NTLMSSP tokens never throw and never authenticate wrongly', () => {
  for (const spnego of [true, false]) {
    it(`${spnego ? 'SPNEGO' : 'raw NTLMSSP'}: thousands of mutations of each message`, async () => {
      const client = new NtlmClient({ user: 'alice', password: 'Secret#1', domain: 'WORKGROUP', spnego });
      const initial = client.initialToken();
      const first = await firstResponse(initial);
      expect(first.state).toBe('continue');
      const authToken = client.step(first.state === 'continue' ? first.output : Buffer.alloc(0))!;
      // Sanity: the unmutated AUTHENTICATE succeeds on a fresh context.
      const ok = newContext();
      await ok.step(initial);
      const okResult = await ok.step(authToken);
      expect(okResult.state).toBe('done');

      const rand = prng(spnego ? 1 : 2);
      const started = Date.now();
      const counts: Record<string, number> = { continue: 0, done: 0, denied: 0 };
      for (let i = 0; i < 2500; i++) {
        const r1: StepResult = await firstResponse(mutate(initial, rand));
        counts[r1.state]++;
        const ctx = newContext();
        await ctx.step(initial);
        const mutated = mutate(authToken, rand);
        const r2 = await ctx.step(mutated);
        counts[r2.state]++;
        if (r2.state === 'done') {
          // Only mutations outside what NTLM and the MICs protect (e.g. DER
          // padding after the token) may still succeed — and then as alice with the right key.
          expect(r2.result.user).toBe('alice');
          expect(r2.result.sessionKey.equals(client.sessionKey!)).toBe(true);
        }
        if (!spnego) {
          // Raw AUTHENTICATE with a MIC: every byte is covered, so any change is refused.
          if (!mutated.equals(authToken)) expect(r2.state).toBe('denied');
        }
      }
      expect(counts.denied).toBeGreaterThan(2500);
      expect(Date.now() - started).toBeLessThan(15_000);
    });
  }

  it('random garbage of every size never throws and never authenticates', async () => {
    const rand = prng(3);
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      if (rand() < 0.3 && junk.length > 0) junk[0] = [0x60, 0xa0, 0xa1][Math.floor(rand() * 3)];
      if (rand() < 0.2 && junk.length > 12) Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1').copy(junk);
      const r = await newContext().step(junk);
      expect(['denied', 'continue']).toContain(r.state);
    }
  });
});
