import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isFsError } from '../errors.js';
import type { MetadataStore } from '../../storage/metadata/store.js';
import { MemoryMetadataStore } from '../../storage/metadata/memory/index.js';
import { LmdbMetadataStore } from '../../storage/metadata/lmdb/index.js';
import { LEASE_READ } from './api.js';
import { UnifiedLockManager } from './lock-manager.js';
import { fileKey, INDEX_KEY } from './persistence.js';
import {
  A,
  B,
  F,
  G,
  granted,
  rejection,
  rootInode,
  runLockStateSuite,
  S,
  type LockStateBackend,
} from './testing/lock-state-suite.js';
import { req } from './testing/test-helpers.js';

function memoryBackend(): LockStateBackend {
  let s: MemoryMetadataStore | undefined;
  return {
    name: 'memory',
    async setup() {
      s = new MemoryMetadataStore();
      await s.open({ rootInode });
    },
    store: () => Promise.resolve(s!),
    restart: () => Promise.resolve(s!),
    teardown: () => Promise.resolve(),
  };
}

function lmdbBackend(): LockStateBackend {
  let dir = '';
  let s: LmdbMetadataStore | undefined;
  const open = async (): Promise<LmdbMetadataStore> => {
    s = new LmdbMetadataStore({ path: join(dir, 'meta') });
    await s.open({ rootInode });
    return s;
  };
  return {
    name: 'lmdb',
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'dfs-locks-'));
      await open();
    },
    store: () => Promise.resolve(s!),
    async restart() {
      await s!.close();
      return open();
    },
    async teardown() {
      await s?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

runLockStateSuite('memory', memoryBackend);
runLockStateSuite('lmdb', lmdbBackend);

describe('grace without a store', () => {
  it('accepts every reclaim (the clients are the only record) and refuses new locks until grace ends', async () => {
    const lm = new UnifiedLockManager();
    lm.startGrace(60);
    expect(isFsError(await rejection(lm.lock(req(A, F, 'shared', 0, 1), { wait: false })), 'GRACE')).toBe(true);
    granted(await lm.lock(req(A, F, 'exclusive', 0, 1), { wait: false, reclaim: true }));
    // A conflicting reclaim is denied, never queued.
    expect((await lm.lock(req(B, F, 'exclusive', 0, 1), { wait: true, reclaim: true })).status).toBe('denied');
    expect(lm.inGrace).toBe(true);
    await lm.endGrace();
    // Reclaim flags outside grace are ignored.
    granted(await lm.lock(req(B, F, 'exclusive', 5, 1), { wait: false, reclaim: true }));
    expect(lm.stats().locks).toBe(2);
    await lm.close();
  });

  it('close clears the grace and break timers', async () => {
    vi.useFakeTimers();
    try {
      const lm = new UnifiedLockManager({ breakTimeoutMs: 1000 });
      lm.startGrace(3600);
      await lm.endGrace();
      lm.startGrace(3600);
      expect(vi.getTimerCount()).toBe(1);
      await lm.endGrace();
      expect(vi.getTimerCount()).toBe(0);
      await lm.acquireLease({ file: F, owner: S, key: 'k', kinds: LEASE_READ });
      const p = rejection(lm.lock(req(A, F, 'exclusive', 0, 1), { wait: false }));
      expect(isFsError(await p, 'DELAY')).toBe(true);
      lm.startGrace(3600);
      expect(vi.getTimerCount()).toBe(2);
      await lm.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('damaged records', () => {
  it('are skipped entry by entry instead of failing load', async () => {
    const store = new MemoryMetadataStore();
    await store.open({ rootInode });
    await store.update(async (tx) => {
      await tx.putState(INDEX_KEY, Buffer.from(JSON.stringify([F, G, 'x', -1])));
      await tx.putState(fileKey(F), Buffer.from('{not json'));
      await tx.putState(
        fileKey(G),
        Buffer.from(
          JSON.stringify({
            v: 1,
            locks: [
              { p: 'nlm', c: 'h', o: 'o', s: 0, e: 10, t: 'X' },
              { p: 'bogus', c: 'h', o: 'o', s: 0, e: 10, t: 'X' },
              { p: 'nlm', c: 'h', o: 'o', s: 10, e: 5, t: 'X' },
              { p: 'nlm', c: 'h', o: 'o', s: 0, e: 10, t: '?' },
            ],
            opens: [{ p: 'smb', c: 'h', o: 'o', a: 'r', d: '' }, { p: 'smb' }],
            leases: 'nope',
          }),
        ),
      );
    });
    const lm = new UnifiedLockManager({ store });
    await lm.load();
    expect(lm.stats().unreclaimed).toBe(2);
    await lm.close();
  });
});

describe('store failures', () => {
  it('keep the in-memory state and write it again with the next change', async () => {
    const inner = new MemoryMetadataStore();
    await inner.open({ rootInode });
    let failNext = true;
    const flaky: MetadataStore = {
      kind: 'flaky',
      open: (init) => inner.open(init),
      view: (fn) => inner.view(fn),
      update: (fn) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('disk full'));
        }
        return inner.update(fn);
      },
      close: () => inner.close(),
    };
    const lm = new UnifiedLockManager({ store: flaky });
    granted(await lm.lock(req(A, F, 'exclusive', 0, 10), { wait: false }));
    expect(await inner.view((tx) => tx.getState(fileKey(F)))).toBeUndefined();
    granted(await lm.lock(req(A, G, 'exclusive', 0, 10), { wait: false }));
    expect(await inner.view((tx) => tx.getState(fileKey(F)))).toBeDefined();
    expect(await inner.view((tx) => tx.getState(fileKey(G)))).toBeDefined();
    await lm.close();
  });
});
