import { describe, expect, it } from 'vitest';
import { FsError } from '../../../core/errors.js';
import { toFileName } from './names.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof FsError ? e.code : 'not-fs-error';
  }
}

describe('filename3 decoding', () => {
  it('decodes UTF-8 names, including multi-byte ones', () => {
    expect(toFileName(Buffer.from('héllo wörld ✓', 'utf8'))).toBe('héllo wörld ✓');
  });

  it('refuses bytes that are not valid UTF-8 with INVAL', () => {
    expect(codeOf(() => toFileName(Buffer.from([0x66, 0xff, 0x6f])))).toBe('INVAL');
    expect(codeOf(() => toFileName(Buffer.from([0xc3])))).toBe('INVAL');
    expect(codeOf(() => toFileName(Buffer.from([0xed, 0xa0, 0x80])))).toBe('INVAL'); // UTF-16 surrogate
  });
});
