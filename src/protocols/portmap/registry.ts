/**
 * The portmapper's table of (program, version, transport) → port. The
 * server's own programs are registered in-process; remote SET/UNSET is
 * limited to loopback callers by the program (see program.ts).
 */

export type PortmapProtocol = 'tcp' | 'udp';

/** RFC 1833 §3.1: IPPROTO numbers used in portmap v2 mappings. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** netids this registry knows (RFC 5665 §5: "tcp", "udp", "tcp6", "udp6"). */
const NETID_PROTOCOL: Record<string, PortmapProtocol> = { tcp: 'tcp', udp: 'udp', tcp6: 'tcp', udp6: 'udp' };

/** Refuse registrations beyond this many (remote SET must not grow the table without bound). */
const MAX_MAPPINGS = 1024;

export interface Mapping {
  prog: number;
  vers: number;
  protocol: PortmapProtocol;
  port: number;
  netid: string;
  owner: string;
}

export interface MappingInput {
  prog: number;
  vers: number;
  protocol: PortmapProtocol;
  port: number;
  /** Default: the protocol name ("tcp" or "udp"). */
  netid?: string;
  owner?: string;
}

/** The transport behind a netid, or undefined for netids this server does not serve. */
export function netidProtocol(netid: string): PortmapProtocol | undefined {
  return Object.hasOwn(NETID_PROTOCOL, netid) ? NETID_PROTOCOL[netid] : undefined;
}

export class PortmapRegistry {
  private readonly mappings = new Map<string, Mapping>();

  private static key(prog: number, vers: number, netid: string): string {
    return `${prog}/${vers}/${netid}`;
  }

  /**
   * Add a mapping. RFC 1833 §3.2 (PMAPPROC_SET) and §2.2 (RPCBPROC_SET):
   * an existing mapping for the same (prog, vers, transport) is not replaced,
   * and false is returned; unset it first to move a program.
   */
  set(m: MappingInput): boolean {
    const netid = m.netid ?? m.protocol;
    if (netidProtocol(netid) !== m.protocol) return false;
    if (!Number.isInteger(m.port) || m.port < 0 || m.port > 65535) return false;
    const key = PortmapRegistry.key(m.prog, m.vers, netid);
    if (this.mappings.has(key) || this.mappings.size >= MAX_MAPPINGS) return false;
    this.mappings.set(key, {
      prog: m.prog >>> 0,
      vers: m.vers >>> 0,
      protocol: m.protocol,
      port: m.port,
      netid,
      owner: m.owner ?? 'dittofs',
    });
    return true;
  }

  /**
   * Remove the mappings of (prog, vers): for one netid if given, else all
   * (RFC 1833 §3.2: PMAPPROC_UNSET ignores prot and port). True if any was removed.
   */
  unset(prog: number, vers: number, netid?: string): boolean {
    let removed = false;
    for (const [key, m] of this.mappings) {
      if (m.prog === prog && m.vers === vers && (netid === undefined || m.netid === netid)) {
        this.mappings.delete(key);
        removed = true;
      }
    }
    return removed;
  }

  /** The port of (prog, vers) over an IPv4 protocol, or 0 when not registered (RFC 1833 §3.2). */
  getPort(prog: number, vers: number, protocol: PortmapProtocol): number {
    return this.mappings.get(PortmapRegistry.key(prog, vers, protocol))?.port ?? 0;
  }

  /** The mapping for exactly (prog, vers, netid). */
  find(prog: number, vers: number, netid: string): Mapping | undefined {
    return this.mappings.get(PortmapRegistry.key(prog, vers, netid));
  }

  list(): Mapping[] {
    return [...this.mappings.values()].map((m) => ({ ...m }));
  }
}
