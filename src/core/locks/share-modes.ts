import type { ShareModes } from './api.js';

/**
 * Share reservations conflict when one side's access meets the other side's
 * deny bits, in either direction (MS-SMB2 §3.3.5.9 share access check,
 * RFC 7530 §9.9 share reservations). Owners do not matter: an open conflicts
 * even with opens of the same client.
 */
export function shareConflict(
  a: { access: ShareModes; deny: ShareModes },
  b: { access: ShareModes; deny: ShareModes },
): boolean {
  return meets(a.access, b.deny) || meets(b.access, a.deny);
}

function meets(access: ShareModes, deny: ShareModes): boolean {
  return (access.read && deny.read) || (access.write && deny.write) || (access.delete === true && deny.delete === true);
}

export function copyModes(m: ShareModes): ShareModes {
  return Object.freeze({ read: m.read, write: m.write, delete: m.delete === true });
}
