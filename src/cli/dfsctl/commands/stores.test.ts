import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { sizeArg } from './stores.js';

describe('dfsctl store create sizes', () => {
  it('accept plain bytes and binary units', () => {
    expect(sizeArg('65536')).toBe(65536);
    expect(sizeArg('64k')).toBe(65536);
    expect(sizeArg('8MiB')).toBe(8 * 1024 * 1024);
    expect(sizeArg('1G')).toBe(1024 ** 3);
    expect(sizeArg('2tb')).toBe(2 * 1024 ** 4);
  });

  it('refuse anything else before calling the server', () => {
    for (const bad of ['big', '', '0', '-1', '1.5M', '1P', '9'.repeat(20)]) {
      expect(() => sizeArg(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});
