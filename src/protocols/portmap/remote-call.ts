/**
 * Calls to a program on another host, found through that host's portmapper
 * (RFC 1833 §3.2 PMAPPROC_GETPORT on port 111): the server's own outgoing
 * calls — NLM_GRANTED and the NLM _RES messages to a client's lockd,
 * SM_NOTIFY to a peer's statd. One short-lived connection per call: these
 * are rare, and a peer that rebooted must not be reached on a stale socket.
 */
import { RpcClient } from '../rpc/client.js';
import { AcceptStat } from '../rpc/types.js';
import { XdrWriter } from '../xdr/writer.js';
import type { XdrReader } from '../xdr/reader.js';
import { IPPROTO_TCP, IPPROTO_UDP } from './registry.js';

const PMAP_PROG = 100000;
const PMAP_V2 = 2;
const PMAPPROC_GETPORT = 3;
/** RFC 1833 §3: the portmapper's well-known port. */
export const PORTMAP_PORT = 111;

export interface RemoteTarget {
  /** IP address of the peer. */
  address: string;
  transport: 'tcp' | 'udp';
  /** The peer's portmapper port; default 111. */
  portmapPort?: number;
}

export type RemoteCallErrorCode = 'UNREGISTERED' | 'REJECTED' | 'UNREACHABLE';

export class RemoteCallError extends Error {
  constructor(
    readonly code: RemoteCallErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteCallError';
  }
}

/** Something that can call a program on a peer; tests substitute their own. */
export interface RemoteCaller {
  /** Resolves with the reply body of a successful call; rejects with RemoteCallError. */
  call(target: RemoteTarget, prog: number, vers: number, proc: number, args: Buffer): Promise<XdrReader>;
}

export interface PortmapRemoteCallerOptions {
  timeoutMs?: number;
}

async function withClient<T>(
  address: string,
  port: number,
  transport: 'tcp' | 'udp',
  timeoutMs: number,
  f: (c: RpcClient) => Promise<T>,
): Promise<T> {
  let client: RpcClient;
  try {
    client = await RpcClient.connect(address, port, { transport, timeoutMs });
  } catch (e) {
    throw new RemoteCallError('UNREACHABLE', `cannot reach ${address}:${port}/${transport}: ${(e as Error).message}`);
  }
  try {
    return await f(client);
  } catch (e) {
    if (e instanceof RemoteCallError) throw e;
    throw new RemoteCallError('UNREACHABLE', `${address}:${port}/${transport}: ${(e as Error).message}`);
  } finally {
    await client.close();
  }
}

async function callOnce(
  client: RpcClient,
  prog: number,
  vers: number,
  proc: number,
  args: Buffer,
  what: string,
): Promise<XdrReader> {
  const reply = await client.call(prog, vers, proc, args);
  if (reply.kind !== 'accepted' || reply.acceptStat !== AcceptStat.SUCCESS) {
    throw new RemoteCallError(
      'REJECTED',
      `${what}: ${reply.kind === 'accepted' ? `accept_stat ${reply.acceptStat}` : 'denied'}`,
    );
  }
  return reply.body;
}

/** Looks the port up with PMAPPROC_GETPORT, then makes the call on the same transport. */
export class PortmapRemoteCaller implements RemoteCaller {
  private readonly timeoutMs: number;

  constructor(opts: PortmapRemoteCallerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  async call(target: RemoteTarget, prog: number, vers: number, proc: number, args: Buffer): Promise<XdrReader> {
    const { address, transport } = target;
    const mapping = new XdrWriter(16)
      .uint32(prog)
      .uint32(vers)
      .uint32(transport === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP)
      .uint32(0)
      .toBuffer();
    const port = await withClient(address, target.portmapPort ?? PORTMAP_PORT, transport, this.timeoutMs, async (c) =>
      (await callOnce(c, PMAP_PROG, PMAP_V2, PMAPPROC_GETPORT, mapping, `GETPORT at ${address}`)).uint32(),
    );
    if (port === 0 || port > 0xffff) {
      throw new RemoteCallError('UNREGISTERED', `program ${prog} v${vers}/${transport} not registered at ${address}`);
    }
    return withClient(address, port, transport, this.timeoutMs, (c) =>
      callOnce(c, prog, vers, proc, args, `program ${prog} v${vers} proc ${proc} at ${address}:${port}`),
    );
  }
}
