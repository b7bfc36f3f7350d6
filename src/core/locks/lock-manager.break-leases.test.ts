import { afterEach, describe, expect, it } from 'vitest';
import { isFsError } from '../errors.js';
import { LEASE_HANDLE, LEASE_READ, LEASE_WRITE, type Lease } from './api.js';
import { UnifiedLockManager } from './lock-manager.js';
import { owner, settle } from './testing/test-helpers.js';

const F = 9;
const S1 = owner('smb-client-1', 'lease', 'smb');
const RWH = LEASE_READ | LEASE_WRITE | LEASE_HANDLE;

describe('breakLeases (accesses without opens: NFSv3)', () => {
  let lm: UnifiedLockManager;
  let breaks: Lease[];

  function make(breakTimeoutMs = 10_000): UnifiedLockManager {
    lm = new UnifiedLockManager({ breakTimeoutMs });
    breaks = [];
    lm.registerProtocol('smb', { onBreak: (l) => breaks.push(l) });
    return lm;
  }
  afterEach(async () => {
    await lm.close();
  });

  it('resolves at once when the file has no leases to break', async () => {
    make();
    expect(lm.hasLeases()).toBe(false);
    await lm.breakLeases(F, 'write', { waitMs: 0 });
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: LEASE_READ | LEASE_HANDLE });
    expect(lm.hasLeases(F)).toBe(true);
    expect(lm.hasLeases(F + 1)).toBe(false);
    expect(lm.hasLeases()).toBe(true);
    // A reader leaves R and H alone.
    await lm.breakLeases(F, 'read', { waitMs: 0 });
    expect(breaks).toHaveLength(0);
  });

  it.each([
    ['read', LEASE_READ | LEASE_HANDLE],
    ['write', LEASE_HANDLE],
    ['namespace', LEASE_READ],
  ] as const)('%s breaks RWH down to %i and waits for the holder', async (access, to) => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: RWH });
    let done = false;
    const p = lm.breakLeases(F, access).then(() => (done = true));
    await settle();
    expect(breaks.map((b) => b.breakingTo)).toEqual([to]);
    expect(done).toBe(false);
    await lm.downgradeLease(S1, 'k', to);
    await p;
    expect(lm.getLease(S1, 'k')?.kinds).toBe(to);
  });

  it('throws DELAY after waitMs while the break goes on, and passes once it is answered', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: RWH });
    const started = Date.now();
    const err = await lm.breakLeases(F, 'write', { waitMs: 50 }).catch((e: unknown) => e);
    expect(isFsError(err, 'DELAY')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(lm.stats().breaking).toBe(1);
    // waitMs 0: no waiting at all.
    expect(isFsError(await lm.breakLeases(F, 'write', { waitMs: 0 }).catch((e: unknown) => e), 'DELAY')).toBe(true);
    expect(breaks).toHaveLength(1);
    await lm.downgradeLease(S1, 'k', LEASE_HANDLE);
    await lm.breakLeases(F, 'write', { waitMs: 0 });
  });

  it('leaves the leases of the acting client alone', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: RWH });
    await lm.breakLeases(F, 'write', { owner: owner('smb-client-1', 'other-open', 'smb'), waitMs: 0 });
    expect(breaks).toHaveLength(0);
  });

  it('ends the wait when the holder is revoked', async () => {
    make(60);
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: RWH });
    await lm.breakLeases(F, 'namespace');
    expect(lm.getLease(S1, 'k')).toBeUndefined();
    expect(lm.stats().revoked).toBe(1);
  });
});

describe('registerProtocol', () => {
  it('merges the callbacks of separate registrations of one protocol', async () => {
    const lm = new UnifiedLockManager({ breakTimeoutMs: 10_000 });
    const breaks: Lease[] = [];
    lm.registerProtocol('smb', { onBreak: (l) => breaks.push(l) });
    lm.registerProtocol('smb', { onGranted: () => undefined });
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: RWH });
    await lm.breakLeases(F, 'write', { waitMs: 0 }).catch(() => undefined);
    expect(breaks).toHaveLength(1);
    await lm.close();
  });
});
