import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, DEFAULT_PORT, envKeys, envNameOf, parseConfig } from './config.js';
import { defaultConfigYaml } from './config-template.js';

describe('server configuration', () => {
  it('serves /export on port 12049 with root squash when there is no file', () => {
    const c = parseConfig(undefined, { dataDir: '/tmp/dfs-test' });
    expect(c.port).toBe(DEFAULT_PORT);
    expect(c.port).toBe(12049);
    expect(c.shares).toHaveLength(1);
    expect(c.shares[0]).toMatchObject({
      name: '/export',
      rootSquash: true,
      allSquash: false,
      readOnly: false,
      anonUid: 65534,
    });
    expect(c.shares[0].blocks).toEqual({ type: 'fs', path: '/tmp/dfs-test/blocks/export' });
    expect(c.shares[0].metadata).toEqual({ type: 'lmdb', path: '/tmp/dfs-test/metadata/export' });
  });

  it('names the offending key of a wrong value', () => {
    expect(() => parseConfig({ port: 'x' })).toThrowError(/^port: must be an integer/);
    expect(() => parseConfig({ shares: [{ name: '/a', rootSquash: 'yes' }] })).toThrowError(
      /^shares\[0\]\.rootSquash:/,
    );
    expect(() => parseConfig({ shares: [{ name: '/a', allowedClients: ['10.0.0.0/33'] }] })).toThrowError(
      /^shares\[0\]\.allowedClients\[0\]:/,
    );
  });

  it('rejects unknown keys instead of ignoring typos', () => {
    expect(() => parseConfig({ prot: 1 })).toThrowError(ConfigError);
    expect(() => parseConfig({ shares: [{ name: '/a', rootsquash: false }] })).toThrowError(
      /shares\[0\]\.rootsquash: unknown key/,
    );
  });

  it('rejects share names that are not absolute or contain dot segments, and duplicates', () => {
    expect(() => parseConfig({ shares: [{ name: 'export' }] })).toThrowError(/absolute/);
    expect(() => parseConfig({ shares: [{ name: '/a/../b' }] })).toThrowError(/absolute/);
    expect(() => parseConfig({ shares: [{ name: '/a' }, { name: '/a/' }] })).toThrowError(/duplicate/);
  });

  it('accepts memory metadata and rejects unknown stores by key', () => {
    expect(parseConfig({ shares: [{ name: '/m', metadata: 'memory' }] }).shares[0].metadata).toEqual({
      type: 'memory',
    });
    expect(() => parseConfig({ shares: [{ name: '/m', metadata: { type: 'etcd' } }] })).toThrowError(
      /^shares\[0\]\.metadata\.type:/,
    );
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

describe('DITTOFS_* environment overrides', () => {
  it('maps camelCase and nested keys to upper-case variables', () => {
    expect(envNameOf(['portmapPort'])).toBe('DITTOFS_PORTMAP_PORT');
    expect(envNameOf(['api', 'port'])).toBe('DITTOFS_API_PORT');
    const names = envKeys().map((k) => k.env);
    expect(names).toEqual(
      expect.arrayContaining(['DITTOFS_PORT', 'DITTOFS_LOG_LEVEL', 'DITTOFS_API_PORT', 'DITTOFS_DATABASE_PATH']),
    );
  });

  it('lets a variable override the file, and the command line override both', () => {
    const env = {
      DITTOFS_PORT: '3049',
      DITTOFS_LOG_LEVEL: 'debug',
      DITTOFS_API_PORT: '0',
      DITTOFS_API_ENABLED: 'false',
    };
    const c = parseConfig({ port: 2049, logLevel: 'warn' }, { dataDir: '/tmp/x' }, env);
    expect(c.port).toBe(3049);
    expect(c.logLevel).toBe('debug');
    expect(c.api).toMatchObject({ port: 0, enabled: false, host: '127.0.0.1' });
    expect(parseConfig({}, { port: 4049 }, env).port).toBe(4049);
  });

  it('reads a list of shares from DITTOFS_SHARES', () => {
    const c = parseConfig(undefined, { dataDir: '/tmp/x' }, { DITTOFS_SHARES: '[{name: /a, metadata: memory}]' });
    expect(c.shares.map((s) => s.name)).toEqual(['/a']);
  });

  it('names the variable when its value is wrong', () => {
    expect(() => parseConfig({}, {}, { DITTOFS_API_PORT: 'abc' })).toThrowError(
      /^api\.port \(from DITTOFS_API_PORT\): must be an integer/,
    );
    expect(() => parseConfig({}, {}, { DITTOFS_SHARES: '[{name: x}]' })).toThrowError(
      /^shares\[0\]\.name \(from DITTOFS_SHARES\)/,
    );
  });
});

describe('control-plane keys', () => {
  it('defaults the API to localhost:12080 and the database to dataDir/controlplane.db', () => {
    const c = parseConfig(undefined, { dataDir: '/tmp/d' });
    expect(c.api).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 12080,
      accessTokenSeconds: 900,
      refreshTokenSeconds: 604800,
    });
    expect(c.database).toEqual({ type: 'sqlite', path: '/tmp/d/controlplane.db' });
  });

  it('names a wrong nested key', () => {
    expect(() => parseConfig({ api: { prot: 1 } })).toThrowError(/^api\.prot: unknown key/);
    expect(() => parseConfig({ database: { type: 'mysql' } })).toThrowError(/^database\.type:/);
  });

  it('the file written by dfs init parses to the defaults', () => {
    const fromTemplate = parseConfig(parseYaml(defaultConfigYaml()), { dataDir: '/tmp/d' });
    expect(fromTemplate).toEqual(parseConfig(undefined, { dataDir: '/tmp/d' }));
  });
});
