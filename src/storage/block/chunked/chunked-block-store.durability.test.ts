import { describe, expect, it } from 'vitest';
import { expectBytes, pattern } from '../conformance.js';
import { makeStore } from './test-helpers.js';

const CS = 16_384;

describe('durability modes with the object store down', () => {
  it('writeback: commit resolves while data is still only buffered', async () => {
    const { store, remote, cleanup } = await makeStore({ durability: 'writeback' });
    try {
      remote.down = true;
      await store.write('w', 0, pattern(3 * CS, 1));
      await store.commit('w');
      expect(store.stats().dirtyBytes).toBe(3 * CS);
      expect(store.stats().localBytes).toBe(0);
      expectBytes(await store.read('w', 0, 3 * CS), pattern(3 * CS, 1));
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('local-durable: commit is on local disk (survives reopen) while uploads wait for the store', async () => {
    const { store, remote, reopen, cleanup } = await makeStore();
    let s = store;
    try {
      remote.down = true;
      await s.write('l', 0, pattern(3 * CS, 2));
      await s.commit('l');
      expect(s.stats().dirtyBytes).toBe(0);
      expect(s.stats().localBytes).toBe(3 * CS);
      await new Promise((r) => setTimeout(r, 50));
      expect(s.stats().remoteHealthy).toBe(false);
      expect(remote.objects.size).toBe(0);
      await s.close();
      s = await reopen();
      expectBytes(await s.read('l', 0, 3 * CS), pattern(3 * CS, 2));
      remote.down = false;
      await s.drainUploads(5000);
      expect(remote.objects.size).toBe(3);
    } finally {
      await s.close();
      await cleanup();
    }
  });

  it('local-durable: writes fill the local budget, then get DELAY; uploads and eviction make room again', async () => {
    const budget = 8 * CS;
    const { store, remote, cleanup } = await makeStore({ localBudgetBytes: budget });
    try {
      remote.down = true;
      let accepted = 0;
      let err: unknown;
      for (let i = 0; i < 20 && err === undefined; i++) {
        try {
          await store.write(`b${i}`, 0, pattern(CS, 10 + i));
          await store.commit(`b${i}`);
          accepted++;
        } catch (e) {
          err = e;
        }
      }
      expect(err).toMatchObject({ code: 'DELAY' });
      expect(accepted).toBe(8);
      remote.down = false;
      await store.drainUploads(5000);
      await store.write('after', 0, pattern(CS, 99));
      await store.commit('after');
      expect(store.stats().localBytes).toBeLessThanOrEqual(budget);
      // Evicted chunks come back from the remote.
      for (let i = 0; i < accepted; i++) expectBytes(await store.read(`b${i}`, 0, CS), pattern(CS, 10 + i));
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('remote: commit fails with IO while the store is down, and succeeds once it is back', async () => {
    const { store, remote, cleanup } = await makeStore({ durability: 'remote', remoteTimeoutMs: 300 });
    try {
      remote.down = true;
      await store.write('r', 0, pattern(2 * CS, 3));
      await expect(store.commit('r')).rejects.toMatchObject({ code: 'IO' });
      remote.down = false;
      await store.commit('r');
      expect(remote.objects.size).toBe(2);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('remote: commit resolves only after every chunk of the file is uploaded', async () => {
    const { store, remote, cleanup } = await makeStore({ durability: 'remote' });
    try {
      remote.latencyMs = 30;
      await store.write('slow', 0, pattern(5 * CS, 4));
      await store.commit('slow');
      expect(remote.objects.size).toBe(5);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
