/**
 * rpcbind versions 3 and 4 procedures (RFC 1833 §2): transport-independent
 * mappings named by netid with universal addresses.
 */
import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import type { RpcCall, RpcOutcome } from '../rpc/types.js';
import { isLoopback, uaddrHost } from './peer-address.js';
import { netidProtocol, type Mapping, type PortmapRegistry } from './registry.js';
import { parseUniversalAddress, toUniversalAddress } from './universal-address.js';

export const RPCBPROC_NULL = 0;
export const RPCBPROC_SET = 1;
export const RPCBPROC_UNSET = 2;
export const RPCBPROC_GETADDR = 3;
export const RPCBPROC_DUMP = 4;
/** CALLIT in v3, BCAST in v4. */
export const RPCBPROC_CALLIT = 5;
export const RPCBPROC_GETTIME = 6;
export const RPCBPROC_UADDR2TADDR = 7;
export const RPCBPROC_TADDR2UADDR = 8;
export const RPCBPROC_GETVERSADDR = 9;
export const RPCBPROC_INDIRECT = 10;
export const RPCBPROC_GETADDRLIST = 11;
export const RPCBPROC_GETSTAT = 12;

/** RFC 1833 leaves rpcb strings unbounded; netids, owners and addresses are short. */
const MAX_RPCB_STRING = 255;

/** RFC 1833 §2.1 / netconfig(5): semantics of the transports served. */
const NC_TPI_CLTS = 1;
const NC_TPI_COTS_ORD = 3;

interface Rpcb {
  prog: number;
  vers: number;
  netid: string;
  addr: string;
  owner: string;
}

function decodeRpcb(r: XdrReader): Rpcb {
  return {
    prog: r.uint32(),
    vers: r.uint32(),
    netid: r.string(MAX_RPCB_STRING),
    addr: r.string(MAX_RPCB_STRING),
    owner: r.string(MAX_RPCB_STRING),
  };
}

/** The netid of the transport the request itself came over. */
function callNetid(call: RpcCall): string {
  const v6 = call.peer.localAddress?.includes(':') ?? false;
  return call.peer.transport + (v6 ? '6' : '');
}

/**
 * The mapping GETADDR answers with. A tcp6/udp6 query is answered from the
 * IPv4 registration when the query itself came over IPv6: the listener is
 * dual-stack, so the same port serves both families.
 */
function lookup(
  registry: PortmapRegistry,
  call: RpcCall,
  prog: number,
  vers: number,
  netid: string,
): Mapping | undefined {
  const exact = registry.find(prog, vers, netid);
  if (exact) return exact;
  if (netid.endsWith('6') && callNetid(call) === netid) return registry.find(prog, vers, netid.slice(0, -1));
  return undefined;
}

export function handleRpcbind(
  registry: PortmapRegistry,
  host: string | undefined,
  call: RpcCall,
  args: XdrReader,
  reply: XdrWriter,
): RpcOutcome {
  const uaddr = (m: Mapping, netid = m.netid): string => toUniversalAddress(uaddrHost(netid, call.peer, host), m.port);
  switch (call.proc) {
    case RPCBPROC_NULL:
      return 'success';
    case RPCBPROC_SET: {
      const b = decodeRpcb(args);
      const protocol = netidProtocol(b.netid);
      const parsed = parseUniversalAddress(b.addr);
      // Only local services may register: a remote SET could redirect clients.
      const ok =
        isLoopback(call.peer.address) &&
        protocol !== undefined &&
        parsed !== undefined &&
        registry.set({
          prog: b.prog,
          vers: b.vers,
          protocol,
          port: parsed.port,
          netid: b.netid,
          owner: call.authSys ? String(call.authSys.uid) : 'unknown',
        });
      reply.bool(ok);
      return 'success';
    }
    case RPCBPROC_UNSET: {
      const b = decodeRpcb(args);
      // RFC 1833 §2.2: an empty netid removes the program version on every transport.
      const ok = isLoopback(call.peer.address) && registry.unset(b.prog, b.vers, b.netid === '' ? undefined : b.netid);
      reply.bool(ok);
      return 'success';
    }
    case RPCBPROC_GETADDR:
    case RPCBPROC_GETVERSADDR: {
      const b = decodeRpcb(args);
      const netid = b.netid === '' ? callNetid(call) : b.netid;
      let m = lookup(registry, call, b.prog, b.vers, netid);
      // GETADDR (unlike v4 GETVERSADDR) may name any registered version of the
      // program, as rpcbind does; the client then learns the range from PROG_MISMATCH.
      if (!m && call.proc === RPCBPROC_GETADDR) {
        for (const x of registry.list()) {
          if (x.prog === b.prog) m ??= lookup(registry, call, x.prog, x.vers, netid);
        }
      }
      // RFC 1833 §2.2: an empty string means "not registered".
      reply.string(m ? uaddr(m, netid) : '');
      return 'success';
    }
    case RPCBPROC_DUMP:
      // rpcblist_ptr: XDR optional-data linked list.
      for (const m of registry.list()) {
        reply.bool(true).uint32(m.prog).uint32(m.vers).string(m.netid).string(uaddr(m)).string(m.owner);
      }
      reply.bool(false);
      return 'success';
    case RPCBPROC_GETTIME:
      reply.uint32(Math.floor(Date.now() / 1000));
      return 'success';
    case RPCBPROC_GETADDRLIST: {
      const b = decodeRpcb(args);
      for (const m of registry.list()) {
        if (m.prog !== b.prog || m.vers !== b.vers) continue;
        reply.bool(true).string(uaddr(m)).string(m.netid);
        reply.uint32(m.protocol === 'tcp' ? NC_TPI_COTS_ORD : NC_TPI_CLTS);
        reply.string(m.netid.endsWith('6') ? 'inet6' : 'inet').string(m.protocol);
      }
      reply.bool(false);
      return 'success';
    }
    case RPCBPROC_CALLIT:
      // Not forwarded (see pmap-v2.ts): silent over UDP, PROC_UNAVAIL over TCP.
      return call.peer.transport === 'udp' ? 'drop' : 'proc_unavail';
    default:
      // UADDR2TADDR, TADDR2UADDR (netbuf formats are transport-specific), INDIRECT, GETSTAT.
      return 'proc_unavail';
  }
}
