import { describe, expect, it } from 'vitest';
import { isFsError } from '../errors.js';
import { MemoryMetadataStore } from '../../storage/metadata/memory/index.js';
import { LEASE_READ } from './api.js';
import { UnifiedLockManager } from './lock-manager.js';
import { A, B, F, G, granted, rejection, rootInode, S } from './testing/lock-state-suite.js';
import { owner, req } from './testing/test-helpers.js';

const S2 = owner('smb-2', 'open-2', 'smb');
const readDenyWrite = { access: { read: true, write: false }, deny: { read: false, write: true } };
const readWrite = { access: { read: true, write: true }, deny: { read: false, write: false } };

async function store(): Promise<MemoryMetadataStore> {
  const s = new MemoryMetadataStore();
  await s.open({ rootInode });
  return s;
}

describe('transient state (SMB opens, leases and Windows locks: never reclaimed)', () => {
  it('is not persisted, so a restart has only the reclaimable state to wait for', async () => {
    const s = await store();
    const first = new UnifiedLockManager({ store: s });
    granted(await first.lock(req(A, F, 'exclusive', 0, 10), { wait: false }));
    expect((await first.open({ file: G, owner: S, ...readDenyWrite }, { transient: true })).status).toBe('ok');
    const lease = await first.acquireLease({ file: G, owner: S, key: 'k', kinds: LEASE_READ }, { transient: true });
    expect(lease.status).toBe('granted');
    granted(await first.lock({ ...req(S, G, 'exclusive', 0, 5), semantics: 'windows' }, { wait: false }));
    await first.close();

    const second = new UnifiedLockManager({ store: s });
    await second.load();
    expect(second.stats()).toMatchObject({ unreclaimed: 1 });
    second.startGrace(60);
    // The one NLM lock reclaimed: grace ends at once, SMB state kept nobody waiting.
    granted(await second.lock(req(A, F, 'exclusive', 0, 10), { wait: false, reclaim: true }));
    await Promise.resolve();
    expect(second.inGrace).toBe(false);
    await second.close();
  });

  it('is granted during grace unless it meets state still to be reclaimed', async () => {
    const s = await store();
    const first = new UnifiedLockManager({ store: s });
    granted(await first.lock(req(A, F, 'exclusive', 0, 10), { wait: false }));
    // A persistent (reclaimable) share reservation, as NLM SHARE makes.
    expect((await first.open({ file: G, owner: B, ...readDenyWrite })).status).toBe('ok');
    await first.close();

    const lm = new UnifiedLockManager({ store: s });
    await lm.load();
    lm.startGrace(60);
    // Clear of the pre-restart state: granted while grace runs.
    expect((await lm.open({ file: F, owner: S, ...readWrite }, { transient: true })).status).toBe('ok');
    expect((await lm.open({ file: G, owner: S2, ...readDenyWrite }, { transient: true })).status).toBe('ok');
    granted(await lm.lock({ ...req(S, F, 'shared', 100, 5), semantics: 'windows' }, { wait: false }));
    // Meeting it: refused with GRACE until it is reclaimed or grace ends.
    const writer = lm.open({ file: G, owner: S, ...readWrite }, { transient: true });
    expect(isFsError(await rejection(writer), 'GRACE')).toBe(true);
    const overlapping = lm.lock({ ...req(S, F, 'shared', 5, 1), semantics: 'windows' }, { wait: false });
    expect(isFsError(await rejection(overlapping), 'GRACE')).toBe(true);
    // Non-transient requests keep the old rule: only reclaims.
    expect(isFsError(await rejection(lm.open({ file: F, owner: B, ...readWrite })), 'GRACE')).toBe(true);
    expect(lm.inGrace).toBe(true);
    await lm.endGrace();
    expect((await lm.open({ file: G, owner: S, ...readWrite }, { transient: true })).status).toBe('conflict');
    await lm.close();
  });
});
