import { afterEach, describe, expect, it } from 'vitest';
import { isFsError } from '../errors.js';
import { LEASE_HANDLE, LEASE_READ, LEASE_WRITE, type Lease, type ShareModes } from './api.js';
import { UnifiedLockManager } from './lock-manager.js';
import { owner, req, settle } from './testing/test-helpers.js';

const F = 5;
const S1 = owner('smb-client-1', 'open-1', 'smb');
const S2 = owner('smb-client-2', 'open-2', 'smb');
const N = owner('nfs-host', 'oh', 'nlm');
const NONE: ShareModes = { read: false, write: false };
const R: ShareModes = { read: true, write: false };
const W: ShareModes = { read: false, write: true };
const RW: ShareModes = { read: true, write: true };
const DEL: ShareModes = { read: false, write: false, delete: true };

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('share reservations', () => {
  let lm: UnifiedLockManager;
  afterEach(async () => {
    await lm.close();
  });

  it('access meeting the other side deny bits conflicts, in both directions and for every bit', async () => {
    lm = new UnifiedLockManager();
    const cases: Array<[ShareModes, ShareModes, ShareModes, ShareModes, boolean]> = [
      // first access, first deny, second access, second deny, conflict?
      [R, NONE, R, NONE, false],
      [RW, NONE, RW, NONE, false],
      [R, W, R, NONE, false],
      [R, W, W, NONE, true],
      [W, NONE, R, W, true],
      [R, R, R, NONE, true],
      [NONE, NONE, R, R, false],
      [DEL, NONE, R, DEL, true],
      [R, DEL, DEL, NONE, true],
      [R, DEL, RW, NONE, false],
    ];
    for (const [a1, d1, a2, d2, conflict] of cases) {
      const first = await lm.open({ file: F, owner: S1, access: a1, deny: d1 });
      expect(first.status).toBe('ok');
      const second = await lm.open({ file: F, owner: S2, access: a2, deny: d2 });
      expect({ a1, d1, a2, d2, status: second.status }).toEqual({
        a1,
        d1,
        a2,
        d2,
        status: conflict ? 'conflict' : 'ok',
      });
      for (const o of [...lm.findOpens(F, S1), ...lm.findOpens(F, S2)]) await lm.closeOpen(o.id);
    }
    expect(lm.stats().opens).toBe(0);
  });

  it('conflicts apply between opens of the same owner too, and close lifts them', async () => {
    lm = new UnifiedLockManager();
    const a = await lm.open({ file: F, owner: S1, access: RW, deny: RW });
    const b = await lm.open({ file: F, owner: S1, access: R, deny: NONE });
    expect(b).toMatchObject({ status: 'conflict', conflict: { owner: S1, deny: { read: true, write: true } } });
    if (a.status !== 'ok') throw new Error('first open refused');
    expect(await lm.closeOpen(a.open.id)).toBe(true);
    expect(await lm.closeOpen(a.open.id)).toBe(false);
    expect((await lm.open({ file: F, owner: S1, access: R, deny: NONE })).status).toBe('ok');
  });

  it('releaseClient drops the client opens', async () => {
    lm = new UnifiedLockManager();
    await lm.open({ file: F, owner: N, access: R, deny: W });
    expect((await lm.open({ file: F, owner: S1, access: W, deny: NONE })).status).toBe('conflict');
    await lm.releaseClient('nlm', 'nfs-host');
    expect((await lm.open({ file: F, owner: S1, access: W, deny: NONE })).status).toBe('ok');
  });
});

describe('leases and breaks', () => {
  let lm: UnifiedLockManager;
  let breaks: Lease[];
  let revoked: Lease[];

  function make(breakTimeoutMs = 10_000): UnifiedLockManager {
    lm = new UnifiedLockManager({ breakTimeoutMs });
    breaks = [];
    revoked = [];
    lm.registerProtocol('smb', { onBreak: (l) => breaks.push(l), onRevoked: (l) => revoked.push(l) });
    return lm;
  }
  afterEach(async () => {
    await lm.close();
  });

  it('an exclusive lock from another client breaks READ|WRITE (keeping HANDLE), then is granted', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'k1', kinds: LEASE_READ | LEASE_WRITE | LEASE_HANDLE });
    const p = lm.lock(req(N, F, 'exclusive', 0, 10), { wait: true });
    await settle();
    expect(breaks).toEqual([expect.objectContaining({ key: 'k1', kinds: 7, breakingTo: LEASE_HANDLE })]);
    expect(lm.stats().breaking).toBe(1);
    await lm.downgradeLease(S1, 'k1', LEASE_HANDLE);
    expect(await p).toMatchObject({ status: 'granted' });
    expect(lm.getLease(S1, 'k1')).toEqual({ file: F, owner: S1, key: 'k1', kinds: LEASE_HANDLE });
  });

  it('a shared lock breaks only WRITE; a READ lease survives shared locks', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'rw', kinds: LEASE_READ | LEASE_WRITE });
    const p = lm.lock(req(N, F, 'shared', 0, 10), { wait: true });
    await settle();
    expect(breaks.map((b) => b.breakingTo)).toEqual([LEASE_READ]);
    await lm.downgradeLease(S1, 'rw', LEASE_READ);
    expect((await p).status).toBe('granted');
    expect((await lm.lock(req(N, F, 'shared', 20, 10), { wait: false })).status).toBe('granted');
    expect(breaks).toHaveLength(1);
  });

  it('a requester that does not wait gets DELAY, and the break still starts', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: LEASE_READ });
    const err = await rejection(lm.lock(req(N, F, 'exclusive', 0, 1), { wait: false }));
    expect(isFsError(err, 'DELAY')).toBe(true);
    expect(breaks.map((b) => b.breakingTo)).toEqual([0]);
    await lm.releaseLease(S1, 'k');
    expect((await lm.lock(req(N, F, 'exclusive', 0, 1), { wait: false })).status).toBe('granted');
  });

  it('a non-waiting lock refused by a byte-range conflict breaks no lease', async () => {
    make();
    await lm.lock(req(S2, F, 'shared', 0, 10), { wait: false });
    await lm.acquireLease({ file: F, owner: S1, key: 'r', kinds: LEASE_READ });
    expect((await lm.lock(req(N, F, 'exclusive', 5, 1), { wait: false })).status).toBe('denied');
    expect(breaks).toEqual([]);
    expect(lm.getLease(S1, 'r')?.breakingTo).toBeUndefined();
  });

  it('the same client never breaks its own lease', async () => {
    make();
    const S1b = { ...S1, ownerId: 'open-9' };
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: LEASE_READ | LEASE_WRITE | LEASE_HANDLE });
    expect((await lm.lock(req(S1b, F, 'exclusive', 0, 1), { wait: false })).status).toBe('granted');
    expect((await lm.open({ file: F, owner: S1b, access: RW, deny: NONE })).status).toBe('ok');
    expect(breaks).toEqual([]);
  });

  it('a break that is not answered in time revokes the lease and lets the requester proceed', async () => {
    make(30);
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: LEASE_READ | LEASE_WRITE });
    const started = Date.now();
    const r = await lm.open({ file: F, owner: S2, access: W, deny: NONE }, { wait: true });
    expect(r.status).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(revoked).toEqual([expect.objectContaining({ key: 'k' })]);
    expect(lm.getLease(S1, 'k')).toBeUndefined();
    expect(lm.stats()).toMatchObject({ revoked: 1, breaksStarted: 1, leases: 0 });
  });

  it('opens: write access breaks READ and WRITE, read-only access breaks WRITE only', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: LEASE_READ | LEASE_WRITE });
    const p = lm.open({ file: F, owner: S2, access: R, deny: NONE }, { wait: true });
    await settle();
    expect(breaks.map((b) => b.breakingTo)).toEqual([LEASE_READ]);
    await lm.downgradeLease(S1, 'k', LEASE_READ);
    expect((await p).status).toBe('ok');
    const q = lm.open({ file: F, owner: S2, access: W, deny: NONE }, { wait: true });
    await settle();
    expect(breaks.map((b) => b.breakingTo)).toEqual([LEASE_READ, 0]);
    await lm.releaseLease(S1, 'k');
    expect((await q).status).toBe('ok');
  });

  it('a sharing violation against a HANDLE-lease holder breaks HANDLE; the holder closes and the open succeeds', async () => {
    make();
    const held = await lm.open({ file: F, owner: S1, access: R, deny: W });
    await lm.acquireLease({ file: F, owner: S1, key: 'h', kinds: LEASE_READ | LEASE_HANDLE });
    const p = lm.open({ file: F, owner: S2, access: RW, deny: NONE }, { wait: true });
    await settle();
    expect(breaks.map((b) => [b.key, b.breakingTo])).toEqual([['h', LEASE_READ]]);
    if (held.status !== 'ok') throw new Error('open refused');
    await lm.closeOpen(held.open.id);
    await lm.downgradeLease(S1, 'h', LEASE_READ);
    // The write open then breaks the remaining READ too.
    await settle();
    expect(breaks.map((b) => b.breakingTo)).toEqual([LEASE_READ, 0]);
    await lm.releaseLease(S1, 'h');
    expect((await p).status).toBe('ok');
  });

  it('without a HANDLE lease a sharing violation is a plain conflict', async () => {
    make();
    await lm.open({ file: F, owner: S1, access: R, deny: W });
    await lm.acquireLease({ file: F, owner: S1, key: 'r', kinds: LEASE_READ });
    expect((await lm.open({ file: F, owner: S2, access: W, deny: NONE }, { wait: true })).status).toBe('conflict');
    expect(breaks).toEqual([]);
  });

  it('lease vs lease: WRITE breaks other clients READ, READ breaks WRITE, HANDLE coexists', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'a', kinds: LEASE_READ | LEASE_HANDLE });
    expect((await lm.acquireLease({ file: F, owner: S2, key: 'b', kinds: LEASE_READ | LEASE_HANDLE })).status).toBe(
      'granted',
    );
    const p = lm.acquireLease(
      { file: F, owner: S2, key: 'b', kinds: LEASE_READ | LEASE_WRITE | LEASE_HANDLE },
      { wait: true },
    );
    await settle();
    expect(breaks.map((b) => [b.key, b.breakingTo])).toEqual([['a', LEASE_HANDLE]]);
    await lm.downgradeLease(S1, 'a', LEASE_HANDLE);
    expect(await p).toMatchObject({ status: 'granted', lease: { kinds: 7 } });
    // Now S1 wants READ back: S2's WRITE must go.
    const q = lm.acquireLease({ file: F, owner: S1, key: 'a', kinds: LEASE_READ | LEASE_HANDLE }, { wait: true });
    await settle();
    expect(breaks.map((b) => [b.key, b.breakingTo])).toEqual([
      ['a', LEASE_HANDLE],
      ['b', LEASE_READ | LEASE_HANDLE],
    ]);
    await lm.downgradeLease(S2, 'b', LEASE_READ | LEASE_HANDLE);
    expect((await q).status).toBe('granted');
  });

  it('noBreak answers denied instead of breaking', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'a', kinds: LEASE_READ });
    const r = await lm.acquireLease(
      { file: F, owner: S2, key: 'b', kinds: LEASE_READ | LEASE_WRITE },
      { noBreak: true },
    );
    expect(r).toMatchObject({ status: 'denied', conflict: { kind: 'lease', lease: { key: 'a' } } });
    expect(breaks).toEqual([]);
  });

  it('a lease is denied while another client holds conflicting opens or locks', async () => {
    make();
    await lm.open({ file: F, owner: N, access: R, deny: NONE });
    expect(await lm.acquireLease({ file: F, owner: S1, key: 'w', kinds: LEASE_READ | LEASE_WRITE })).toMatchObject({
      status: 'denied',
      conflict: { kind: 'open' },
    });
    expect((await lm.acquireLease({ file: F, owner: S1, key: 'r', kinds: LEASE_READ })).status).toBe('granted');
    await lm.releaseLease(S1, 'r');
    await lm.lock(req(N, F, 'exclusive', 0, 1), { wait: false });
    expect(await lm.acquireLease({ file: F, owner: S1, key: 'r', kinds: LEASE_READ })).toMatchObject({
      status: 'denied',
      conflict: { kind: 'lock', lock: { owner: N, type: 'exclusive' } },
    });
    expect((await lm.acquireLease({ file: F, owner: S1, key: 'h', kinds: LEASE_HANDLE })).status).toBe('granted');
  });

  it('a HANDLE lease granted while a lock is queued does not hold up its grant', async () => {
    make();
    await lm.lock(req(N, F, 'exclusive', 0, 10), { wait: false });
    const N2 = owner('nfs-host-2', 'x', 'nlm');
    const r = await lm.lock(req(N2, F, 'shared', 100, 10), { wait: false });
    expect(r.status).toBe('granted');
    await lm.unlock(F, N2, { offset: 100, length: 10 });
    const blocked = await lm.lock(req(N2, F, 'exclusive', 0, 10), { wait: true });
    if (blocked.status !== 'blocked') throw new Error('expected blocked');
    // A HANDLE lease is allowed despite the locks; the grant must not be held up by it.
    await lm.acquireLease({ file: F, owner: S1, key: 'h', kinds: LEASE_HANDLE });
    await lm.unlock(F, N, { offset: 0, length: 10 });
    expect((await blocked.waiter.outcome).granted).toBe(true);
    expect(breaks).toEqual([]);
  });

  it('a queued lock woken while another client holds a READ lease waits for the break, in queue order', async () => {
    make();
    const N2 = owner('nfs-host-2', 'x', 'nlm');
    await lm.lock(req(N, F, 'shared', 0, 10), { wait: false });
    const blocked = await lm.lock(req(N2, F, 'exclusive', 0, 10), { wait: true });
    if (blocked.status !== 'blocked') throw new Error('expected blocked');
    // Shared locks of others do not stop a READ lease.
    expect((await lm.acquireLease({ file: F, owner: S1, key: 'r', kinds: LEASE_READ })).status).toBe('granted');
    await lm.unlock(F, N, { offset: 0, length: 10 });
    expect(breaks.map((b) => [b.key, b.breakingTo])).toEqual([['r', 0]]);
    expect(lm.stats()).toMatchObject({ waiters: 1, locks: 0 });
    await lm.releaseLease(S1, 'r');
    expect(await blocked.waiter.outcome).toMatchObject({ granted: true, lock: { owner: N2 } });
  });

  it('lease keys are per client and tied to one file; downgrade cannot add kinds', async () => {
    make();
    await lm.acquireLease({ file: F, owner: S1, key: 'same', kinds: LEASE_READ });
    expect((await lm.acquireLease({ file: F, owner: S2, key: 'same', kinds: LEASE_READ })).status).toBe('granted');
    expect(
      isFsError(await rejection(lm.acquireLease({ file: F + 1, owner: S1, key: 'same', kinds: 1 })), 'INVAL'),
    ).toBe(true);
    expect(isFsError(await rejection(lm.downgradeLease(S1, 'same', LEASE_WRITE)), 'INVAL')).toBe(true);
    expect(isFsError(await rejection(lm.releaseLease(S1, 'nope')), 'INVAL')).toBe(true);
    expect(isFsError(await rejection(lm.acquireLease({ file: F, owner: S1, key: 'x', kinds: 8 })), 'INVAL')).toBe(true);
    await lm.releaseClient('smb', 'smb-client-1');
    expect(lm.getLease(S1, 'same')).toBeUndefined();
    expect(lm.getLease(S2, 'same')).toBeDefined();
  });

  it('close clears break timers and releases requesters waiting for a break', async () => {
    make(60_000);
    await lm.acquireLease({ file: F, owner: S1, key: 'k', kinds: LEASE_READ | LEASE_WRITE });
    const p = rejection(lm.lock(req(N, F, 'exclusive', 0, 1), { wait: true }));
    await settle();
    await lm.close();
    expect(isFsError(await p, 'IO')).toBe(true);
  });
});
