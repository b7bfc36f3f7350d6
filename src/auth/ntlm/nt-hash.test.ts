import { describe, expect, it } from 'vitest';
import { ntHash } from './nt-hash.js';

describe('ntHash (MS-NLMP §3.3.1 NTOWFv1)', () => {
  it('matches the MS-NLMP §4.2.2.1.2 test vector for "Password"', () => {
    expect(ntHash('Password').toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });

  it('hashes the UTF-16LE form, so non-ASCII passwords differ from their Latin-1 bytes', () => {
    expect(ntHash('pässword').equals(ntHash('p\u00e4ssword'))).toBe(true);
    expect(ntHash('pässword').equals(ntHash('passwort'))).toBe(false);
    expect(ntHash('').toString('hex')).toBe('31d6cfe0d16ae931b73c59d7e0c089c0');
  });
});
