import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PORT, parseConfig } from './config.js';

describe('server configuration', () => {
  it('serves /export on port 12049 with root squash when there is no file', () => {
    const c = parseConfig(undefined, { dataDir: '/tmp/dfs-test' });
    expect(c.port).toBe(DEFAULT_PORT);
    expect(c.port).toBe(12049);
    expect(c.shares).toHaveLength(1);
    expect(c.shares[0]).toMatchObject({ name: '/export', rootSquash: true, allSquash: false, readOnly: false, anonUid: 65534 });
    expect(c.shares[0].blocks).toEqual({ type: 'fs', path: '/tmp/dfs-test/blocks/export' });
    expect(c.shares[0].metadata).toEqual({ type: 'lmdb', path: '/tmp/dfs-test/metadata/export' });
  });

  it('names the offending key of a wrong value', () => {
    expect(() => parseConfig({ port: 'x' })).toThrowError(/^port: must be an integer/);
    expect(() => parseConfig({ shares: [{ name: '/a', rootSquash: 'yes' }] })).toThrowError(/^shares\[0\]\.rootSquash:/);
    expect(() => parseConfig({ shares: [{ name: '/a', allowedClients: ['10.0.0.0/33'] }] })).toThrowError(
      /^shares\[0\]\.allowedClients\[0\]:/,
    );
  });

  it('rejects unknown keys instead of ignoring typos', () => {
    expect(() => parseConfig({ prot: 1 })).toThrowError(ConfigError);
    expect(() => parseConfig({ shares: [{ name: '/a', rootsquash: false }] })).toThrowError(/shares\[0\]\.rootsquash: unknown key/);
  });

  it('rejects share names that are not absolute or contain dot segments, and duplicates', () => {
    expect(() => parseConfig({ shares: [{ name: 'export' }] })).toThrowError(/absolute/);
    expect(() => parseConfig({ shares: [{ name: '/a/../b' }] })).toThrowError(/absolute/);
    expect(() => parseConfig({ shares: [{ name: '/a' }, { name: '/a/' }] })).toThrowError(/duplicate/);
  });

  it('accepts memory metadata and rejects unknown stores by key', () => {
    expect(parseConfig({ shares: [{ name: '/m', metadata: 'memory' }] }).shares[0].metadata).toEqual({ type: 'memory' });
    expect(() => parseConfig({ shares: [{ name: '/m', metadata: { type: 'etcd' } }] })).toThrowError(/^shares\[0\]\.metadata\.type:/);
  });

  it('lets command-line overrides win over the file', () => {
    const c = parseConfig({ port: 2049, host: '127.0.0.1' }, { port: 3049 });
    expect(c.port).toBe(3049);
    expect(c.host).toBe('127.0.0.1');
  });

  it('refuses a record size too small for the largest transfer', () => {
    expect(() => parseConfig({ maxIo: 1048576, maxRecordSize: 65536 })).toThrowError(/^maxRecordSize:/);
  });
});
