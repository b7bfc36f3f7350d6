import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { ShareOptions } from '../../core/share.js';

/*
 * Export policy checks on the caller's address and port, shared by MOUNT
 * (MNT) and NFS (every request: a handle can be guessed without mounting).
 */

/** Parsed allowedClients lists, keyed by the array itself so edits to a share's options take effect. */
const parsed = new WeakMap<readonly string[], BlockList>();

function blockListOf(entries: readonly string[]): BlockList {
  let list = parsed.get(entries);
  if (list) return list;
  list = new BlockList();
  for (const entry of entries) addEntry(list, entry.trim());
  parsed.set(entries, list);
  return list;
}

/**
 * An entry is an address ("10.0.0.5") or a CIDR block ("10.0.0.0/8",
 * "fd00::/8"). An entry that does not parse allows nothing: a typo in an
 * allow-list must not open the export.
 */
function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const addr = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
  if (!family) return;
  if (slash < 0) {
    list.addAddress(addr, family);
    return;
  }
  const prefixText = entry.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) return;
  list.addSubnet(addr, prefix, family);
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) → "10.0.0.1". */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** True when the share's allowedClients (empty = everyone) admits `address`. */
export function isClientAllowed(options: ShareOptions, address: string): boolean {
  if (options.allowedClients.length === 0) return true;
  const addr = unmapped(address);
  const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
  if (!family) return false;
  return blockListOf(options.allowedClients).check(addr, family);
}

/** requirePrivilegedPort: only callers from a reserved port (< 1024, i.e. root on the client) pass. */
export function isPortAllowed(options: ShareOptions, port: number): boolean {
  return !options.requirePrivilegedPort || port < 1024;
}
