import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFsError } from '../../errors.js';
import { ROOT_ID } from '../../types.js';
import type { MetadataStore } from '../../../storage/metadata/store.js';
import { sampleInode } from '../../../storage/metadata/conformance.js';
import { LEASE_READ, type LockResult } from '../api.js';
import { UnifiedLockManager } from '../lock-manager.js';
import { fileKey, INDEX_KEY } from '../persistence.js';
import { owner, req } from './test-helpers.js';

export const rootInode = sampleInode(ROOT_ID, { type: 'dir', mode: 0o755, nlink: 2, nextCookie: 3, parent: ROOT_ID });
export const F = 11;
export const G = 12;
export const A = owner('host-a', 'oh-a', 'nlm', 10);
const A2 = owner('host-a', 'oh-a-new', 'nlm', 11);
export const B = owner('host-b', 'oh-b', 'nlm', 20);
export const S = owner('smb-1', 'open', 'smb');

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

export function granted(r: LockResult): void {
  expect(r.status).toBe('granted');
}

/** A store that survives a "server restart": memory keeps the instance, LMDB reopens the same path. */

export interface LockStateBackend {
  name: string;
  setup(): Promise<void>;
  store(): Promise<MetadataStore>;
  restart(): Promise<MetadataStore>;
  teardown(): Promise<void>;
}

/**
 * The lock manager's persistence and grace behaviour, run against one
 * metadata-store backend (memory, LMDB, PostgreSQL): like the stores'
 * conformance suite, a backend is covered when this passes on it.
 */
export function runLockStateSuite(name: string, makeBackend: () => LockStateBackend): void {
  describe(`lock state persistence and grace on the ${name} store`, () => {
    let backend: LockStateBackend;
    const managers: UnifiedLockManager[] = [];
    const manager = (store: MetadataStore): UnifiedLockManager => {
      const m = new UnifiedLockManager({ store });
      managers.push(m);
      return m;
    };

    beforeEach(async () => {
      backend = makeBackend();
      await backend.setup();
    });
    afterEach(async () => {
      for (const m of managers.splice(0)) await m.close();
      await backend.teardown();
    });

    /** First life: A holds two split locks on F and one to EOF on G, B shares, S has an open and a lease. */
    async function firstLife(): Promise<void> {
      const lm = manager(await backend.store());
      granted(await lm.lock(req(A, F, 'exclusive', 0, 100), { wait: false }));
      await lm.unlock(F, A, { offset: 40, length: 20 });
      granted(await lm.lock(req(A, G, 'shared', 1000, 0), { wait: false }));
      granted(await lm.lock(req(B, G, 'shared', 0, 10), { wait: false }));
      expect(
        (await lm.open({ file: G, owner: S, access: { read: true, write: false }, deny: { read: false, write: true } }))
          .status,
      ).toBe('ok');
      expect((await lm.acquireLease({ file: G, owner: S, key: 'L', kinds: LEASE_READ })).status).toBe('granted');
      await lm.close();
    }

    it('restores held state as unreclaimed after a restart', async () => {
      await firstLife();
      const lm = manager(await backend.restart());
      await lm.load();
      // 2 locks on F + 2 on G, 1 open, 1 lease; nothing is enforced yet.
      expect(lm.stats()).toMatchObject({ unreclaimed: 6, locks: 0, opens: 0, leases: 0, inGrace: false });
    });

    it('during grace only reclaims of pre-restart locks are granted; afterwards leftovers are dropped', async () => {
      await firstLife();
      const lm = manager(await backend.restart());
      await lm.load();
      lm.startGrace(60);
      expect(lm.inGrace).toBe(true);
      expect(lm.stats().graceRemainingMs).toBeGreaterThan(59_000);

      // New (non-reclaim) requests and TEST are refused with GRACE.
      expect(isFsError(await rejection(lm.lock(req(B, F, 'shared', 200, 1), { wait: false })), 'GRACE')).toBe(true);
      expect(() => lm.test(F, B, { offset: 0, length: 1 }, 'shared')).toThrow(
        expect.objectContaining({ code: 'GRACE' }),
      );
      // A reclaim of something never held is refused too.
      expect(
        isFsError(await rejection(lm.lock(req(B, F, 'shared', 0, 1), { wait: false, reclaim: true })), 'GRACE'),
      ).toBe(true);
      // Reclaiming exclusive over what was only shared is not a reclaim.
      expect(
        isFsError(await rejection(lm.lock(req(A, G, 'exclusive', 1000, 0), { wait: false, reclaim: true })), 'GRACE'),
      ).toBe(true);
      // The split lock's hole was not held: reclaiming across it fails.
      expect(
        isFsError(await rejection(lm.lock(req(A, F, 'exclusive', 0, 100), { wait: false, reclaim: true })), 'GRACE'),
      ).toBe(true);

      granted(await lm.lock(req(A, F, 'exclusive', 0, 40), { wait: false, reclaim: true }));
      // Same client, new owner handle (the client re-created its owner): accepted by client.
      granted(await lm.lock(req(A2, F, 'exclusive', 60, 40), { wait: false, reclaim: true }));
      granted(await lm.lock(req(B, G, 'shared', 0, 10), { wait: false, reclaim: true }));
      expect(lm.stats()).toMatchObject({ locks: 3, unreclaimed: 3, inGrace: true });

      await lm.endGrace();
      expect(lm.stats()).toMatchObject({ inGrace: false, unreclaimed: 0 });
      // A's lock on G was not reclaimed: gone, so B can now lock it exclusively.
      granted(await lm.lock(req(B, G, 'exclusive', 1000, 5), { wait: false }));
      // The reclaimed ones are enforced.
      expect(lm.test(F, B, { offset: 50, length: 20 }, 'shared')).toMatchObject({
        owner: A2,
        range: { offset: 60, length: 40 },
      });
      await lm.close();

      // Only what survived grace (and later changes) is persisted for the next restart.
      const again = manager(await backend.restart());
      await again.load();
      expect(again.stats().unreclaimed).toBe(4);
    });

    it('share reservations and leases are reclaimable too', async () => {
      await firstLife();
      const lm = manager(await backend.restart());
      await lm.load();
      lm.startGrace(60);
      const modes = { access: { read: true, write: false }, deny: { read: false, write: true } };
      expect(isFsError(await rejection(lm.open({ file: G, owner: B, ...modes })), 'GRACE')).toBe(true);
      expect(isFsError(await rejection(lm.open({ file: G, owner: B, ...modes }, { reclaim: true })), 'GRACE')).toBe(
        true,
      );
      expect((await lm.open({ file: G, owner: S, ...modes }, { reclaim: true })).status).toBe('ok');
      expect(
        isFsError(await rejection(lm.acquireLease({ file: G, owner: S, key: 'L', kinds: LEASE_READ })), 'GRACE'),
      ).toBe(true);
      expect(
        (await lm.acquireLease({ file: G, owner: S, key: 'L', kinds: LEASE_READ }, { reclaim: true })).status,
      ).toBe('granted');
      expect(lm.stats()).toMatchObject({ opens: 1, leases: 1, unreclaimed: 4 });
    });

    it('grace ends early once everything is reclaimed or its clients are gone', async () => {
      await firstLife();
      const lm = manager(await backend.restart());
      await lm.load();
      lm.startGrace(60);
      // host-b rebooted meanwhile (NSM SM_NOTIFY): its pre-restart state is void.
      await lm.releaseClient('nlm', 'host-b');
      await lm.reclaimComplete('smb', 'smb-1');
      expect(lm.stats().unreclaimed).toBe(3);
      granted(await lm.lock(req(A, F, 'exclusive', 0, 40), { wait: false, reclaim: true }));
      granted(await lm.lock(req(A, F, 'exclusive', 60, 40), { wait: false, reclaim: true }));
      expect(lm.inGrace).toBe(true);
      granted(await lm.lock(req(A, G, 'shared', 1000, 0), { wait: false, reclaim: true }));
      expect(lm.inGrace).toBe(false);
      granted(await lm.lock(req(B, G, 'exclusive', 0, 10), { wait: false }));
    });

    it('grace ends when its time is up, and a restart with nothing to reclaim has no grace', async () => {
      await firstLife();
      const lm = manager(await backend.restart());
      await lm.load();
      lm.startGrace(0.05);
      expect(lm.inGrace).toBe(true);
      await new Promise((r) => setTimeout(r, 80));
      expect(lm.stats()).toMatchObject({ inGrace: false, unreclaimed: 0 });
      granted(await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: false }));
      await lm.releaseClient('nlm', 'host-b');
      await lm.close();

      const empty = manager(await backend.restart());
      await empty.load();
      empty.startGrace(60);
      expect(empty.inGrace).toBe(false);
    });

    it('removes records and the index entry when a file has no state left; waiters are not persisted', async () => {
      const store = await backend.store();
      const lm = manager(store);
      granted(await lm.lock(req(A, F, 'exclusive', 0, 0), { wait: false }));
      expect((await lm.lock(req(B, F, 'exclusive', 0, 0), { wait: true })).status).toBe('blocked');
      const rec = await store.view((tx) => tx.getState(fileKey(F)));
      expect(JSON.parse(rec!.toString())).toMatchObject({ v: 1, locks: [{ c: 'host-a', s: 0, e: null, t: 'X' }] });
      expect(JSON.parse((await store.view((tx) => tx.getState(INDEX_KEY)))!.toString())).toEqual([F]);
      await lm.releaseClient('nlm', 'host-b');
      await lm.unlock(F, A, { offset: 0, length: 0 });
      expect(await store.view((tx) => tx.getState(fileKey(F)))).toBeUndefined();
      expect(JSON.parse((await store.view((tx) => tx.getState(INDEX_KEY)))!.toString())).toEqual([]);
    });
  });
}
