import { afterEach, describe, expect, it } from 'vitest';
import { isFsError } from '../errors.js';
import type { HeldLock, LockResult, LockWaiter } from './api.js';
import { UnifiedLockManager } from './lock-manager.js';
import { owner, req } from './testing/test-helpers.js';

const F = 7;
const G = 8;
const H = 9;
const A = owner('a');
const B = owner('b');
const C = owner('c');
const D = owner('d');

function waiterOf(r: LockResult): LockWaiter {
  if (r.status !== 'blocked') throw new Error(`expected blocked, got ${r.status}`);
  return r.waiter;
}

describe('blocking requests', () => {
  let lm: UnifiedLockManager;
  afterEach(async () => {
    await lm.close();
  });

  it('a blocked request is granted when the holder unlocks, through onGranted and the promise', async () => {
    lm = new UnifiedLockManager();
    const granted: Array<[number, HeldLock]> = [];
    lm.registerProtocol('local', { onGranted: (w, lock) => granted.push([w.id, lock]) });
    await lm.lock(req(A, F, 'exclusive', 0, 10), { wait: true });
    const w = waiterOf(await lm.lock(req(B, F, 'shared', 5, 10), { wait: true }));
    expect(lm.stats().waiters).toBe(1);
    expect(granted).toEqual([]);
    await lm.unlock(F, A, { offset: 0, length: 10 });
    expect(granted).toEqual([[w.id, { file: F, owner: B, range: { offset: 5, length: 10 }, type: 'shared' }]]);
    expect(await w.outcome).toEqual({ granted: true, lock: granted[0]![1] });
    expect(lm.stats()).toMatchObject({ waiters: 0, locks: 1 });
    expect(w.cancel()).toBe(false);
  });

  it('waiters are granted in FIFO order; a later shared request does not overtake a queued exclusive one', async () => {
    lm = new UnifiedLockManager();
    const order: string[] = [];
    lm.registerProtocol('local', { onGranted: (w) => order.push(w.request.owner.clientId) });
    await lm.lock(req(A, F, 'shared', 0, 0), { wait: false });
    const wb = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true }));
    // C's shared request is compatible with A's lock but would overtake B.
    const rc = await lm.lock(req(C, F, 'shared', 0, 0), { wait: true });
    const wc = waiterOf(rc);
    // A non-blocking request is refused and told about the queued waiter.
    const rd = await lm.lock(req(D, F, 'shared', 0, 10), { wait: false });
    expect(rd).toMatchObject({ status: 'denied', conflict: { owner: B, type: 'exclusive', waiting: true } });
    expect(lm.test(F, D, { offset: 0, length: 1 }, 'shared')).toMatchObject({ owner: B, waiting: true });

    await lm.unlock(F, A, { offset: 0, length: 0 });
    expect(order).toEqual(['b']);
    await lm.unlock(F, B, { offset: 0, length: 0 });
    expect(order).toEqual(['b', 'c']);
    expect((await wb.outcome).granted).toBe(true);
    expect((await wc.outcome).granted).toBe(true);
  });

  it('disjoint waiters do not wait for each other', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 100), { wait: false });
    const wb = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 10), { wait: true }));
    const wc = waiterOf(await lm.lock(req(C, F, 'exclusive', 50, 10), { wait: true }));
    await lm.unlock(F, A, { offset: 50, length: 50 });
    expect(await wc.outcome).toMatchObject({ granted: true });
    expect(lm.stats().waiters).toBe(1);
    wb.cancel();
  });

  it('several compatible waiters are granted together, in order', async () => {
    lm = new UnifiedLockManager();
    const order: string[] = [];
    lm.registerProtocol('local', { onGranted: (w) => order.push(w.request.owner.clientId) });
    await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false });
    for (const o of [B, C, D]) await lm.lock(req(o, F, 'shared', 0, 0), { wait: true });
    await lm.unlock(F, A, { offset: 0, length: 0 });
    expect(order).toEqual(['b', 'c', 'd']);
    expect(lm.stats()).toMatchObject({ locks: 3, waiters: 0 });
  });

  it('cancel removes a waiter, which then never gets the lock, and lets those queued behind it go', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'shared', 0, 0), { wait: false });
    const wb = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true }));
    const wc = waiterOf(await lm.lock(req(C, F, 'shared', 0, 0), { wait: true }));
    expect(wb.cancel()).toBe(true);
    expect(await wb.outcome).toEqual({ granted: false, reason: 'cancelled' });
    // C only waited behind B: with B gone it shares with A.
    expect(await wc.outcome).toMatchObject({ granted: true });
    await lm.unlock(F, A, { offset: 0, length: 0 });
    await lm.unlock(F, C, { offset: 0, length: 0 });
    expect(lm.stats()).toMatchObject({ locks: 0, waiters: 0 });
    expect(wb.cancel()).toBe(false);
  });

  it('a retransmitted identical blocking request returns the same waiter', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false });
    const w1 = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 5), { wait: true }));
    const w2 = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 5), { wait: true }));
    expect(w2).toBe(w1);
    expect(lm.stats().waiters).toBe(1);
  });

  it('releaseClient of the holder wakes waiters; releaseClient of a waiter ends its wait', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false });
    await lm.lock(req(A, G, 'exclusive', 0, 0), { wait: false });
    const wb = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true }));
    const wc = waiterOf(await lm.lock(req(C, G, 'exclusive', 0, 0), { wait: true }));
    await lm.releaseClient('local', 'c');
    expect(await wc.outcome).toEqual({ granted: false, reason: 'released' });
    await lm.releaseClient('local', 'a');
    expect(await wb.outcome).toMatchObject({ granted: true, lock: { owner: B } });
    expect(lm.clients()).toEqual([{ protocol: 'local', clientId: 'b' }]);
  });

  it('close ends pending waiters with reason closed', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false });
    const w = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true }));
    await lm.close();
    expect(await w.outcome).toEqual({ granted: false, reason: 'closed' });
  });

  it('a throwing onGranted callback does not stop the grant', async () => {
    lm = new UnifiedLockManager();
    lm.registerProtocol('local', {
      onGranted: () => {
        throw new Error('callback failed');
      },
    });
    await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false });
    const w = waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true }));
    await lm.unlock(F, A, { offset: 0, length: 0 });
    expect((await w.outcome).granted).toBe(true);
  });
});

describe('deadlock detection', () => {
  let lm: UnifiedLockManager;
  afterEach(async () => {
    await lm.close();
  });

  async function expectDeadlock(p: Promise<LockResult>): Promise<void> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFsError(err, 'DEADLK')).toBe(true);
  }

  it('a two-owner cycle over two files gets DEADLK and the first waiter keeps waiting', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false });
    await lm.lock(req(B, G, 'exclusive', 0, 0), { wait: false });
    const wa = waiterOf(await lm.lock(req(A, G, 'exclusive', 0, 0), { wait: true }));
    await expectDeadlock(lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true }));
    expect(lm.stats()).toMatchObject({ waiters: 1, deadlocks: 1 });
    await lm.releaseClient('local', 'b');
    expect((await wa.outcome).granted).toBe(true);
  });

  it('two shared holders both upgrading: the second upgrade gets DEADLK', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'shared', 0, 10), { wait: false });
    await lm.lock(req(B, F, 'shared', 0, 10), { wait: false });
    waiterOf(await lm.lock(req(A, F, 'exclusive', 0, 10), { wait: true }));
    await expectDeadlock(lm.lock(req(B, F, 'exclusive', 0, 10), { wait: true }));
  });

  it('a three-owner cycle is detected; a chain without a cycle is not', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false });
    await lm.lock(req(B, G, 'exclusive', 0, 0), { wait: false });
    await lm.lock(req(C, H, 'exclusive', 0, 0), { wait: false });
    waiterOf(await lm.lock(req(A, G, 'exclusive', 0, 0), { wait: true })); // A → B
    waiterOf(await lm.lock(req(B, H, 'exclusive', 0, 0), { wait: true })); // B → C
    // D → A is a chain, not a cycle.
    waiterOf(await lm.lock(req(D, F, 'exclusive', 0, 0), { wait: true }));
    await expectDeadlock(lm.lock(req(C, F, 'exclusive', 0, 0), { wait: true })); // C → A closes it
    // A non-blocking request never deadlocks: it is simply denied.
    expect((await lm.lock(req(C, F, 'exclusive', 0, 0), { wait: false })).status).toBe('denied');
  });

  it('waiting behind a queued request counts as waiting for its owner', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'shared', 0, 0), { wait: false });
    await lm.lock(req(C, G, 'exclusive', 0, 0), { wait: false });
    waiterOf(await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true })); // B → A
    waiterOf(await lm.lock(req(C, F, 'shared', 0, 0), { wait: true })); // C → B (queue order)
    await expectDeadlock(lm.lock(req(A, G, 'exclusive', 0, 0), { wait: true })); // A → C
  });
});
