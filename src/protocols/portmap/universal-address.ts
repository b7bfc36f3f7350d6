/**
 * RFC 5665 §5.2.3.3 (IPv4) and §5.2.3.4 (IPv6) universal addresses: the host
 * in its usual text form followed by ".p1.p2", the port's high and low bytes
 * in decimal.
 */
import { isIP } from 'node:net';

export function toUniversalAddress(host: string, port: number): string {
  return `${host}.${(port >>> 8) & 0xff}.${port & 0xff}`;
}

/** Parse a universal address; undefined unless the host is an IP address and both port bytes are 0..255. */
export function parseUniversalAddress(uaddr: string): { host: string; port: number } | undefined {
  const last = uaddr.lastIndexOf('.');
  const prev = last > 0 ? uaddr.lastIndexOf('.', last - 1) : -1;
  if (prev <= 0) return undefined;
  const hi = uaddr.slice(prev + 1, last);
  const lo = uaddr.slice(last + 1);
  if (!/^\d{1,3}$/.test(hi) || !/^\d{1,3}$/.test(lo)) return undefined;
  const p1 = Number(hi);
  const p2 = Number(lo);
  if (p1 > 255 || p2 > 255) return undefined;
  const host = uaddr.slice(0, prev);
  if (isIP(host) === 0) return undefined;
  return { host, port: p1 * 256 + p2 };
}
