/**
 * Address helpers shared by the portmap procedures: who may change the
 * table, and which host a universal address should name.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { RpcPeer } from '../rpc/types.js';

/** 127.0.0.0/8 and ::1 (IPv4-mapped forms arrive already stripped by the RPC server). */
export function isLoopback(address: string): boolean {
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Host part of a universal address for a service reached over `netid`:
 * the address the request arrived on when it has the right family and is
 * not a wildcard, else the configured host, else the family's wildcard.
 */
export function uaddrHost(netid: string, peer: RpcPeer, configuredHost: string | undefined): string {
  const v6 = netid.endsWith('6');
  const fits = (a: string | undefined): a is string =>
    a !== undefined && (v6 ? isIPv6(a) && a !== '::' : isIPv4(a) && a !== '0.0.0.0');
  if (fits(peer.localAddress)) return peer.localAddress;
  if (fits(configuredHost)) return configuredHost;
  return v6 ? '::' : '0.0.0.0';
}
