/**
 * The portmapper as an RPC program (program 100000): version 2 (RFC 1833 §3)
 * and rpcbind versions 3 and 4 (RFC 1833 §2), over one registry.
 */
import type { RpcProgram } from '../rpc/types.js';
import { handlePmapV2 } from './pmap-v2.js';
import type { PortmapRegistry } from './registry.js';
import { RPCBPROC_GETVERSADDR, handleRpcbind } from './rpcbind-v3v4.js';

export const PMAP_PROG = 100000;

export interface PortmapProgramOptions {
  /** Host named in universal addresses when the request's local address is unknown or a wildcard. */
  host?: string;
}

export function createPortmapProgram(registry: PortmapRegistry, opts: PortmapProgramOptions = {}): RpcProgram {
  return {
    prog: PMAP_PROG,
    name: 'portmap',
    minVers: 2,
    maxVers: 4,
    async handle(call, args, reply) {
      if (call.vers === 2) return handlePmapV2(registry, call, args, reply);
      // GETVERSADDR and later procedures exist only in v4.
      if (call.vers === 3 && call.proc >= RPCBPROC_GETVERSADDR) return 'proc_unavail';
      return handleRpcbind(registry, opts.host, call, args, reply);
    },
  };
}
