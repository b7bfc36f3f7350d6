import { describe, expect, it } from 'vitest';
import { CreditWindow } from './credits.js';

describe('SMB2 credit window (MS-SMB2 §3.3.1.1)', () => {
  it('starts with MessageId 0 only', () => {
    const w = new CreditWindow();
    expect(w.consume(1n, 1)).toBe(false);
    expect(w.consume(0n, 1)).toBe(true);
    expect(w.consume(0n, 1)).toBe(false);
  });

  it('grants requested credits and accepts ids out of order within the window', () => {
    const w = new CreditWindow();
    w.consume(0n, 1);
    expect(w.grant(10)).toBe(10);
    expect(w.consume(5n, 1)).toBe(true);
    expect(w.consume(5n, 1)).toBe(false);
    expect(w.consume(1n, 4)).toBe(true);
    expect(w.available).toBe(5);
    expect(w.consume(11n, 1)).toBe(false);
  });

  it('a multi-credit charge consumes consecutive ids and must fit the window', () => {
    const w = new CreditWindow();
    w.consume(0n, 1);
    w.grant(4);
    expect(w.consume(1n, 5)).toBe(false);
    expect(w.consume(1n, 4)).toBe(true);
    expect(w.available).toBe(0);
  });

  it('never lets the client hold more than the maximum, but always leaves it one credit', () => {
    const w = new CreditWindow(8);
    w.consume(0n, 1);
    expect(w.grant(100)).toBe(8);
    expect(w.grant(100)).toBe(0);
    for (let id = 1n; id <= 8n; id++) w.consume(id, 1);
    expect(w.grant(0)).toBe(1);
  });
});
