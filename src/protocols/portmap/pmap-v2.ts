/**
 * Portmap version 2 procedures (RFC 1833 §3). Mappings name IPv4 transports
 * by IPPROTO number; only "tcp" and "udp" netids are visible here.
 */
import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import type { RpcCall, RpcOutcome } from '../rpc/types.js';
import { isLoopback } from './peer-address.js';
import { IPPROTO_TCP, IPPROTO_UDP, type PortmapProtocol, type PortmapRegistry } from './registry.js';

export const PMAPPROC_NULL = 0;
export const PMAPPROC_SET = 1;
export const PMAPPROC_UNSET = 2;
export const PMAPPROC_GETPORT = 3;
export const PMAPPROC_DUMP = 4;
export const PMAPPROC_CALLIT = 5;

interface PmapMapping {
  prog: number;
  vers: number;
  prot: number;
  port: number;
}

function decodeMapping(r: XdrReader): PmapMapping {
  return { prog: r.uint32(), vers: r.uint32(), prot: r.uint32(), port: r.uint32() };
}

function protocolOf(prot: number): PortmapProtocol | undefined {
  return prot === IPPROTO_TCP ? 'tcp' : prot === IPPROTO_UDP ? 'udp' : undefined;
}

export function handlePmapV2(registry: PortmapRegistry, call: RpcCall, args: XdrReader, reply: XdrWriter): RpcOutcome {
  switch (call.proc) {
    case PMAPPROC_NULL:
      return 'success';
    case PMAPPROC_SET: {
      const m = decodeMapping(args);
      const protocol = protocolOf(m.prot);
      // Only local services may register: a remote SET could redirect clients.
      const ok =
        isLoopback(call.peer.address) &&
        protocol !== undefined &&
        registry.set({ prog: m.prog, vers: m.vers, protocol, port: m.port });
      reply.bool(ok);
      return 'success';
    }
    case PMAPPROC_UNSET: {
      const m = decodeMapping(args);
      // RFC 1833 §3.2: prot and port are ignored; v2 only sees the IPv4 netids.
      let ok = false;
      if (isLoopback(call.peer.address)) {
        const tcp = registry.unset(m.prog, m.vers, 'tcp');
        const udp = registry.unset(m.prog, m.vers, 'udp');
        ok = tcp || udp;
      }
      reply.bool(ok);
      return 'success';
    }
    case PMAPPROC_GETPORT: {
      const m = decodeMapping(args);
      const protocol = protocolOf(m.prot);
      reply.uint32(protocol ? registry.getPort(m.prog, m.vers, protocol) : 0);
      return 'success';
    }
    case PMAPPROC_DUMP:
      // pmaplist is an XDR optional-data linked list: TRUE + entry ..., then FALSE.
      for (const m of registry.list()) {
        if (m.netid !== 'tcp' && m.netid !== 'udp') continue;
        reply.bool(true).uint32(m.prog).uint32(m.vers);
        reply.uint32(m.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP).uint32(m.port);
      }
      reply.bool(false);
      return 'success';
    case PMAPPROC_CALLIT:
      // Indirect calls are not forwarded (they make the portmapper a traffic
      // reflector). RFC 1833 §3.2: on failure CALLIT sends no reply, which is
      // what a UDP (usually broadcast) caller expects; over TCP the caller is
      // told plainly with PROC_UNAVAIL instead of being left to time out.
      return call.peer.transport === 'udp' ? 'drop' : 'proc_unavail';
    default:
      return 'proc_unavail';
  }
}
