import { describe, expect, it } from 'vitest';
import { FsError } from '../../../core/errors.js';
import { toFileName, toPath } from './names.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof FsError ? e.code : 'not-fs-error';
  }
}

describe('filename3 validation', () => {
  it('decodes UTF-8 names, including multi-byte ones', () => {
    expect(toFileName(Buffer.from('héllo wörld ✓', 'utf8'))).toBe('héllo wörld ✓');
  });

  it('refuses bytes that are not valid UTF-8 with INVAL', () => {
    expect(codeOf(() => toFileName(Buffer.from([0x66, 0xff, 0x6f])))).toBe('INVAL');
    expect(codeOf(() => toFileName(Buffer.from([0xc3])))).toBe('INVAL');
  });

  it('refuses separators and NUL inside a component', () => {
    expect(codeOf(() => toFileName(Buffer.from('a/b')))).toBe('INVAL');
    expect(codeOf(() => toFileName(Buffer.from('a\0b')))).toBe('INVAL');
  });

  it('accepts 255 bytes and refuses 256 with NAMETOOLONG', () => {
    expect(toFileName(Buffer.alloc(255, 0x61))).toHaveLength(255);
    expect(codeOf(() => toFileName(Buffer.alloc(256, 0x61)))).toBe('NAMETOOLONG');
  });

  it('accepts paths with separators and refuses over-long ones', () => {
    expect(toPath(Buffer.from('../a/b'))).toBe('../a/b');
    expect(codeOf(() => toPath(Buffer.alloc(4096, 0x61)))).toBe('NAMETOOLONG');
    expect(codeOf(() => toPath(Buffer.from([0xfe])))).toBe('INVAL');
  });
});
