import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARE_OPTIONS, type ShareOptions } from '../../core/share.js';
import { isClientAllowed, isPortAllowed } from './client-policy.js';

function opts(over: Partial<ShareOptions>): ShareOptions {
  return { ...DEFAULT_SHARE_OPTIONS, ...over };
}

describe('allowedClients', () => {
  it('admits everyone when the list is empty', () => {
    expect(isClientAllowed(opts({}), '203.0.113.9')).toBe(true);
  });

  it('matches CIDR blocks and single addresses', () => {
    const o = opts({ allowedClients: ['10.0.0.0/8', '192.168.1.5', 'fd00::/8'] });
    expect(isClientAllowed(o, '10.200.3.4')).toBe(true);
    expect(isClientAllowed(o, '192.168.1.5')).toBe(true);
    expect(isClientAllowed(o, '192.168.1.6')).toBe(false);
    expect(isClientAllowed(o, 'fd12::1')).toBe(true);
    expect(isClientAllowed(o, '::ffff:10.1.1.1')).toBe(true);
    expect(isClientAllowed(o, '127.0.0.1')).toBe(false);
  });

  it('treats an unparsable entry as matching nothing', () => {
    const o = opts({ allowedClients: ['10.0.0.0/99', 'not-an-address'] });
    expect(isClientAllowed(o, '10.0.0.1')).toBe(false);
  });
});

describe('requirePrivilegedPort', () => {
  it('refuses ports from 1024 up only when required', () => {
    expect(isPortAllowed(opts({}), 40000)).toBe(true);
    expect(isPortAllowed(opts({ requirePrivilegedPort: true }), 1023)).toBe(true);
    expect(isPortAllowed(opts({ requirePrivilegedPort: true }), 1024)).toBe(false);
  });
});
