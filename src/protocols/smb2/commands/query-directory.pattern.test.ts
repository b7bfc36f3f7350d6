import { describe, expect, it } from 'vitest';
import { matchPattern } from './query-directory.js';

describe('QUERY_DIRECTORY wildcard matching (MS-FSCC §2.1.4.4)', () => {
  it('"*" and "*.*" match everything, "?" one character, without case', () => {
    expect(matchPattern('*', 'anything')).toBe(true);
    expect(matchPattern('*.*', 'noext')).toBe(true);
    expect(matchPattern('?.TXT', 'a.txt')).toBe(true);
    expect(matchPattern('?.txt', 'ab.txt')).toBe(false);
    expect(matchPattern('a*z', 'abcz')).toBe(true);
    expect(matchPattern('a*z', 'abcza')).toBe(false);
  });

  it('DOS wildcards: ">" also matches the end of a name, "\\"" matches a dot or the end', () => {
    expect(matchPattern('ab>>', 'ab')).toBe(true);
    expect(matchPattern('ab>>', 'abcde')).toBe(false);
    expect(matchPattern('name"', 'name')).toBe(true);
    expect(matchPattern('name"txt', 'name.txt')).toBe(true);
    expect(matchPattern('<.doc', 'report.doc')).toBe(true);
  });

  it('an exact name matches only itself', () => {
    expect(matchPattern('file.txt', 'FILE.TXT')).toBe(true);
    expect(matchPattern('file.txt', 'file.txt2')).toBe(false);
  });
});
