import { describe, expect, it } from 'vitest';
import { ConflictGate } from './conflict-gate.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('ConflictGate', () => {
  it('lets shared holders in together', async () => {
    const g = new ConflictGate();
    await g.acquire(false);
    await g.acquire(false);
    g.release(false);
    g.release(false);
  });

  it('makes an exclusive request wait for shared holders, and holds back shared requests queued after it', async () => {
    const g = new ConflictGate();
    const order: string[] = [];
    await g.acquire(false);
    const excl = g.acquire(true).then(() => order.push('exclusive'));
    const later = g.acquire(false).then(() => order.push('later shared'));
    await tick();
    expect(order).toEqual([]);
    g.release(false);
    await excl;
    await tick();
    expect(order).toEqual(['exclusive']);
    g.release(true);
    await later;
    expect(order).toEqual(['exclusive', 'later shared']);
  });

  it('grants queued requests in arrival order, one exclusive at a time', async () => {
    const g = new ConflictGate();
    const order: number[] = [];
    await g.acquire(true);
    const all = [1, 2, 3].map((n) => g.acquire(true).then(() => order.push(n)));
    await tick();
    expect(order).toEqual([]);
    for (let i = 0; i < 3; i++) {
      g.release(true);
      await all[i];
      expect(order).toEqual([1, 2, 3].slice(0, i + 1));
    }
    g.release(true);
  });
});
