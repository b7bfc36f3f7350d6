import { afterEach, describe, expect, it } from 'vitest';
import { MemoryMetadataStore } from '../../storage/metadata/memory/index.js';
import type { LockOwner, LockRequest, LockType } from './api.js';
import { UnifiedLockManager } from './lock-manager.js';
import { owner, req, settle } from './testing/test-helpers.js';

const F = 7;
/** Two SMB opens of one client, and an NLM owner. */
const OPEN1 = owner('guid-1', 'open-1', 'smb');
const OPEN2 = owner('guid-1', 'open-2', 'smb');
const NLM = owner('host-a', 'oh1', 'nlm', 42);

function win(o: LockOwner, type: LockType, offset: number, length: number): LockRequest {
  return { file: F, owner: o, type, offset, length, semantics: 'windows' };
}

describe('windows-semantics byte-range locks', () => {
  let lm: UnifiedLockManager;
  afterEach(async () => {
    await lm.close();
  });

  it('two opens of one client conflict (the owner is the open)', async () => {
    lm = new UnifiedLockManager();
    expect((await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: false })).status).toBe('granted');
    expect((await lm.lock(win(OPEN2, 'shared', 5, 1), { wait: false })).status).toBe('denied');
  });

  it('an exclusive request conflicts with the same open’s own lock; a shared one stacks on it', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: false });
    expect((await lm.lock(win(OPEN1, 'exclusive', 5, 10), { wait: false })).status).toBe('denied');
    expect((await lm.lock(win(OPEN1, 'shared', 2, 2), { wait: false })).status).toBe('granted');
    await lm.lock(win(OPEN1, 'shared', 20, 5), { wait: false });
    expect((await lm.lock(win(OPEN1, 'exclusive', 22, 1), { wait: false })).status).toBe('denied');
  });

  it('stacked shared locks are separate records: each unlock removes one, and only exact ranges unlock', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(win(OPEN1, 'shared', 0, 10), { wait: false });
    await lm.lock(win(OPEN1, 'shared', 0, 10), { wait: false });
    expect(lm.stats().locks).toBe(2);
    // No merge or split: a sub-range or a wider range is not held.
    expect(await lm.unlockExact(F, OPEN1, { offset: 0, length: 5 })).toBe(false);
    expect(await lm.unlockExact(F, OPEN1, { offset: 0, length: 11 })).toBe(false);
    expect(await lm.unlockExact(F, OPEN2, { offset: 0, length: 10 })).toBe(false);
    expect(await lm.unlockExact(F, OPEN1, { offset: 0, length: 10 })).toBe(true);
    expect((await lm.lock(win(OPEN2, 'exclusive', 0, 1), { wait: false })).status).toBe('denied');
    expect(await lm.unlockExact(F, OPEN1, { offset: 0, length: 10 })).toBe(true);
    expect(await lm.unlockExact(F, OPEN1, { offset: 0, length: 10 })).toBe(false);
    expect((await lm.lock(win(OPEN2, 'exclusive', 0, 1), { wait: false })).status).toBe('granted');
  });

  it('an exact unlock over stacked shared and exclusive locks removes the exclusive one first (MS-FSA §2.1.5.9)', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: false });
    await lm.lock(win(OPEN1, 'shared', 0, 10), { wait: false });
    await lm.unlockExact(F, OPEN1, { offset: 0, length: 10 });
    // What is left is the shared lock: another open may share, not write-lock.
    expect((await lm.lock(win(OPEN2, 'shared', 0, 10), { wait: false })).status).toBe('granted');
    expect((await lm.lock(win(OPEN2, 'exclusive', 0, 1), { wait: false })).status).toBe('denied');
  });

  it('a zero-length lock conflicts with nothing and nothing conflicts with it, but it must be unlocked exactly', async () => {
    lm = new UnifiedLockManager();
    expect((await lm.lock(win(OPEN1, 'exclusive', 5, 0), { wait: false })).status).toBe('granted');
    expect((await lm.lock(win(OPEN2, 'exclusive', 5, 0), { wait: false })).status).toBe('granted');
    expect((await lm.lock(win(OPEN2, 'exclusive', 0, 5), { wait: false })).status).toBe('granted');
    // Not "to end of file" as in POSIX: an NLM lock further on is free.
    expect((await lm.lock(req(NLM, F, 'exclusive', 100, 1), { wait: false })).status).toBe('granted');
    expect(await lm.unlockExact(F, OPEN1, { offset: 5, length: 0 })).toBe(true);
  });

  it('a range past 2^64 is refused with INVAL', async () => {
    lm = new UnifiedLockManager();
    await expect(lm.lock(win(OPEN1, 'shared', 2 ** 64 - 4096, 2 ** 20), { wait: false })).rejects.toMatchObject({
      code: 'INVAL',
    });
  });

  it('windows and POSIX owners conflict across protocols by the ordinary rule', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(NLM, F, 'exclusive', 0, 100), { wait: false });
    const denied = await lm.lock(win(OPEN1, 'shared', 50, 10), { wait: false });
    expect(denied).toMatchObject({ status: 'denied', conflict: { owner: NLM, type: 'exclusive' } });
    await lm.unlock(F, NLM, { offset: 0, length: 0 });
    await lm.lock(win(OPEN1, 'shared', 50, 10), { wait: false });
    expect(lm.test(F, NLM, { offset: 0, length: 0 }, 'exclusive')).toMatchObject({
      owner: OPEN1,
      range: { offset: 50, length: 10 },
    });
    // A POSIX unlock of the NLM owner leaves the SMB record alone.
    await lm.unlock(F, NLM, { offset: 0, length: 0 });
    expect(lm.stats().locks).toBe(1);
  });

  it('a blocked windows request is granted when the other open unlocks, as its own record', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: false });
    const r = await lm.lock(win(OPEN2, 'exclusive', 0, 10), { wait: true });
    if (r.status !== 'blocked') throw new Error(r.status);
    await lm.unlockExact(F, OPEN1, { offset: 0, length: 10 });
    await settle();
    expect(await r.waiter.outcome).toMatchObject({ granted: true, lock: { owner: OPEN2 } });
    expect(await lm.unlockExact(F, OPEN2, { offset: 0, length: 10 })).toBe(true);
  });

  it('a blocking request that waits only for its own open is queued, not refused as a deadlock', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: false });
    const r = await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: true });
    expect(r.status).toBe('blocked');
    if (r.status !== 'blocked') return;
    await lm.unlockExact(F, OPEN1, { offset: 0, length: 10 });
    expect((await r.waiter.outcome).granted).toBe(true);
  });

  it('testIo: another owner’s exclusive lock refuses reads and writes; a shared lock refuses writes, its owner’s too', async () => {
    lm = new UnifiedLockManager();
    expect(lm.testIo(F, OPEN2, { offset: 0, length: 10 }, 'write')).toBeUndefined();
    await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: false });
    expect(lm.testIo(F, OPEN2, { offset: 9, length: 1 }, 'read')).toMatchObject({ owner: OPEN1 });
    expect(lm.testIo(F, OPEN2, { offset: 9, length: 1 }, 'write')).toMatchObject({ owner: OPEN1 });
    expect(lm.testIo(F, OPEN2, { offset: 10, length: 5 }, 'write')).toBeUndefined();
    expect(lm.testIo(F, OPEN2, { offset: 5, length: 0 }, 'write')).toBeUndefined();
    expect(lm.testIo(F, OPEN1, { offset: 0, length: 10 }, 'write')).toBeUndefined();
    await lm.lock(win(OPEN1, 'shared', 20, 10), { wait: false });
    expect(lm.testIo(F, OPEN2, { offset: 25, length: 1 }, 'read')).toBeUndefined();
    expect(lm.testIo(F, OPEN2, { offset: 25, length: 1 }, 'write')).toMatchObject({ type: 'shared' });
    expect(lm.testIo(F, OPEN1, { offset: 25, length: 1 }, 'write')).toMatchObject({ type: 'shared' });
  });

  it('testIo sees NLM locks and answers during grace', async () => {
    lm = new UnifiedLockManager();
    await lm.lock(req(NLM, F, 'exclusive', 100, 0), { wait: false });
    lm.startGrace(60);
    expect(lm.testIo(F, OPEN1, { offset: 0, length: 100 }, 'read')).toBeUndefined();
    expect(lm.testIo(F, OPEN1, { offset: 2 ** 40, length: Infinity }, 'read')).toMatchObject({ owner: NLM });
  });

  it('windows locks are not persisted; POSIX locks beside them are', async () => {
    const store = new MemoryMetadataStore();
    lm = new UnifiedLockManager({ store });
    await lm.lock(win(OPEN1, 'exclusive', 0, 10), { wait: false });
    await lm.lock(req(NLM, F, 'shared', 20, 10), { wait: false });
    await lm.close();
    lm = new UnifiedLockManager({ store });
    await lm.load();
    expect(lm.stats().unreclaimed).toBe(1);
  });
});
