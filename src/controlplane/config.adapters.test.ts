import { describe, expect, it } from 'vitest';
import { DEFAULT_SMB_PORT, parseConfig } from './config.js';

describe('configuration of the SMB adapter, API TLS and the control-plane database', () => {
  it('leaves SMB off by default, on port 12445, with upper-case NetBIOS names', () => {
    const c = parseConfig(undefined, { dataDir: '/tmp/dfs-test' });
    expect(c.smb).toEqual({
      enabled: false,
      port: DEFAULT_SMB_PORT,
      serverName: 'DITTOFS',
      domain: 'WORKGROUP',
      requireSigning: false,
    });
    expect(DEFAULT_SMB_PORT).toBe(12445);
    const on = parseConfig({ smb: { enabled: true, port: 0, serverName: 'files1', domain: 'lab' } });
    expect(on.smb).toMatchObject({ enabled: true, port: 0, serverName: 'FILES1', domain: 'LAB' });
  });

  it('names the SMB key that is wrong', () => {
    expect(() => parseConfig({ smb: { serverName: 'a name with spaces' } })).toThrowError(/^smb\.serverName:/);
    expect(() => parseConfig({ smb: { port: 70000 } })).toThrowError(/^smb\.port:/);
    expect(() => parseConfig({ smb: { signing: true } })).toThrowError(/^smb\.signing: unknown key/);
    expect(() => parseConfig({ smb: 'on' })).toThrowError(/^smb: must be a mapping/);
  });

  it('takes SMB settings from DITTOFS_SMB_* variables and names the variable of a wrong one', () => {
    const c = parseConfig(undefined, {}, { DITTOFS_SMB_ENABLED: 'true', DITTOFS_SMB_REQUIRE_SIGNING: 'true' });
    expect(c.smb.enabled).toBe(true);
    expect(c.smb.requireSigning).toBe(true);
    expect(() => parseConfig(undefined, {}, { DITTOFS_SMB_PORT: 'many' })).toThrowError(/DITTOFS_SMB_PORT/);
  });

  it('serves the API over HTTPS only when both a certificate and a key are given', () => {
    expect(parseConfig(undefined).api.tls).toBeUndefined();
    const c = parseConfig({ api: { tlsCert: '/etc/dfs/cert.pem', tlsKey: '/etc/dfs/key.pem' } });
    expect(c.api.tls).toEqual({ cert: '/etc/dfs/cert.pem', key: '/etc/dfs/key.pem' });
    expect(() => parseConfig({ api: { tlsCert: '/etc/dfs/cert.pem' } })).toThrowError(/^api\.tlsKey:/);
    expect(() => parseConfig({ api: { tlsKey: '/etc/dfs/key.pem' } })).toThrowError(/^api\.tlsCert:/);
  });

  it('accepts a PostgreSQL control-plane database and rejects keys of the other type', () => {
    const c = parseConfig({ database: { type: 'postgres', url: 'postgres://u@db/dfs' } });
    expect(c.database).toEqual({ type: 'postgres', url: 'postgres://u@db/dfs', schema: 'dittofs_cp' });
    expect(() => parseConfig({ database: { type: 'postgres' } })).toThrowError(/^database\.url:/);
    expect(() => parseConfig({ database: { type: 'postgres', url: 'mysql://x' } })).toThrowError(/^database\.url:/);
    expect(() => parseConfig({ database: { type: 'postgres', url: 'postgres://x/y', schema: 'a;drop' } })).toThrowError(
      /^database\.schema:/,
    );
    expect(() => parseConfig({ database: { type: 'postgres', url: 'postgres://x/y', path: '/a' } })).toThrowError(
      /^database\.path:/,
    );
    expect(() => parseConfig({ database: { schema: 'x' } })).toThrowError(/^database\.schema: only used/);
    expect(() => parseConfig({ database: { type: 'mongo' } })).toThrowError(/available: sqlite, postgres/);
  });
});
