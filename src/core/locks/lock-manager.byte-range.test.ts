import { afterEach, describe, expect, it } from 'vitest';
import { UnifiedLockManager } from './lock-manager.js';
import { owner, req } from './testing/test-helpers.js';

const F = 42;
const A = owner('host-a', 'oh1', 'nlm', 100);
const B = owner('host-b', 'oh2', 'nlm', 200);

describe('byte-range locks', () => {
  let lm: UnifiedLockManager;
  afterEach(async () => {
    await lm.close();
  });

  it('exclusive conflicts with shared and exclusive of another owner; shared with shared does not', async () => {
    lm = new UnifiedLockManager();
    expect((await lm.lock(req(A, F, 'shared', 0, 10), { wait: false })).status).toBe('granted');
    expect((await lm.lock(req(B, F, 'shared', 5, 10), { wait: false })).status).toBe('granted');
    const denied = await lm.lock(req(B, F, 'exclusive', 0, 1), { wait: false });
    expect(denied).toEqual({
      status: 'denied',
      conflict: { file: F, owner: A, range: { offset: 0, length: 10 }, type: 'shared' },
    });
    await lm.unlock(F, A, { offset: 0, length: 0 });
    await lm.unlock(F, B, { offset: 0, length: 0 });
    expect((await lm.lock(req(A, F, 'exclusive', 0, 10), { wait: false })).status).toBe('granted');
    expect((await lm.lock(req(B, F, 'shared', 9, 1), { wait: false })).status).toBe('denied');
    expect((await lm.lock(req(B, F, 'exclusive', 10, 5), { wait: false })).status).toBe('granted');
  });

  it('locks on different files never conflict', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, 1, 'exclusive', 0, 0), { wait: false });
    expect((await lm.lock(req(B, 2, 'exclusive', 0, 0), { wait: false })).status).toBe('granted');
  });

  it('test() reports the holder with range and pid, and nothing for the holder itself', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 100, 0), { wait: false });
    expect(lm.test(F, B, { offset: 0, length: 101 }, 'shared')).toEqual({
      file: F,
      owner: A,
      range: { offset: 100, length: Infinity },
      type: 'exclusive',
    });
    expect(lm.test(F, B, { offset: 0, length: 100 }, 'exclusive')).toBeUndefined();
    // The owner's own locks never conflict; pid does not take part in identity.
    expect(lm.test(F, { ...A, pid: 999 }, { offset: 0, length: 0 }, 'exclusive')).toBeUndefined();
  });

  it('unlocking the middle of a lock leaves two locks that others see', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 100), { wait: false });
    await lm.unlock(F, A, { offset: 40, length: 20 });
    expect(lm.test(F, B, { offset: 40, length: 20 }, 'exclusive')).toBeUndefined();
    expect(lm.test(F, B, { offset: 39, length: 1 }, 'exclusive')?.range).toEqual({ offset: 0, length: 40 });
    expect(lm.test(F, B, { offset: 60, length: 1 }, 'exclusive')?.range).toEqual({ offset: 60, length: 40 });
    expect(lm.stats().locks).toBe(2);
  });

  it('upgrade is granted when nobody else overlaps, and downgrade lets others share', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'shared', 0, 10), { wait: false });
    expect((await lm.lock(req(A, F, 'exclusive', 0, 10), { wait: false })).status).toBe('granted');
    expect((await lm.lock(req(B, F, 'shared', 0, 10), { wait: false })).status).toBe('denied');
    expect((await lm.lock(req(A, F, 'shared', 0, 10), { wait: false })).status).toBe('granted');
    expect((await lm.lock(req(B, F, 'shared', 0, 10), { wait: false })).status).toBe('granted');
    expect(lm.stats().locks).toBe(2);
  });

  it('a refused upgrade leaves the shared lock in place', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'shared', 0, 10), { wait: false });
    await lm.lock(req(B, F, 'shared', 5, 1), { wait: false });
    expect((await lm.lock(req(A, F, 'exclusive', 0, 10), { wait: false })).status).toBe('denied');
    expect(lm.test(F, B, { offset: 0, length: 10 }, 'exclusive')).toMatchObject({ owner: A, type: 'shared' });
  });

  it('adjacent locks of one owner merge into one record', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 0, 10), { wait: false });
    await lm.lock(req(A, F, 'exclusive', 10, 10), { wait: false });
    expect(lm.stats().locks).toBe(1);
    expect(lm.clientHoldings('nlm', 'host-a').locks.map((l) => l.range)).toEqual([{ offset: 0, length: 20 }]);
  });

  it('ranges reaching 2^64 are to end of file', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(A, F, 'exclusive', 2 ** 63, 2 ** 63 + 5), { wait: false });
    expect(lm.test(F, B, { offset: 2 ** 63 + 2 ** 62, length: 0 }, 'shared')?.range).toEqual({
      offset: 2 ** 63,
      length: Infinity,
    });
  });

  it('rejects malformed ranges with INVAL', async () => {
    lm = new UnifiedLockManager();
    await expect(lm.lock(req(A, F, 'shared', -1, 1), { wait: false })).rejects.toMatchObject({ code: 'INVAL' });
    expect(() => lm.test(F, A, { offset: NaN, length: 1 }, 'shared')).toThrow(
      expect.objectContaining({ code: 'INVAL' }),
    );
  });

  it('releaseOwner drops one owner only; clients() lists holders', async () => {
    lm = new UnifiedLockManager();
    const A2 = owner('host-a', 'oh9', 'nlm');
    await lm.lock(req(A, F, 'shared', 0, 1), { wait: false });
    await lm.lock(req(A2, F, 'shared', 1, 1), { wait: false });
    await lm.lock(req(B, F, 'shared', 2, 1), { wait: false });
    expect(lm.clients()).toEqual([
      { protocol: 'nlm', clientId: 'host-a' },
      { protocol: 'nlm', clientId: 'host-b' },
    ]);
    await lm.releaseOwner(A);
    expect(lm.clientHoldings('nlm', 'host-a').locks.map((l) => l.owner.ownerId)).toEqual(['oh9']);
    await lm.releaseClient('nlm', 'host-a');
    expect(lm.clients()).toEqual([{ protocol: 'nlm', clientId: 'host-b' }]);
  });

  it('refuses calls after close', async () => {
    lm = new UnifiedLockManager();
    await lm.close();
    await expect(lm.lock(req(A, F, 'shared', 0, 1), { wait: false })).rejects.toMatchObject({ code: 'IO' });
  });
});
