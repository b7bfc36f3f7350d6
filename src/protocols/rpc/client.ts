/**
 * ONC RPC client (RFC 5531) over TCP or UDP: for tests today, and for the
 * server's own callbacks (NLM_GRANTED, SM_NOTIFY) later. Calls are pipelined
 * on one connection and matched to replies by xid.
 */
import { randomInt } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { XdrError } from '../xdr/errors.js';
import { XdrWriter } from '../xdr/writer.js';
import { decodeReply, encodeAuthSys, encodeCallHeader, type RpcReply } from './message.js';
import { DEFAULT_MAX_RECORD_SIZE, RecordDecoder, RecordTooLargeError, frameRecord } from './record-marking.js';
import { AUTH_NONE, AUTH_SYS, type AuthSysParams, type OpaqueAuth } from './types.js';

export type { RpcReply } from './message.js';

const DEFAULT_TIMEOUT_MS = 10_000;
/** UDP: resend an unanswered call this often (the server's DRC absorbs duplicates). */
const UDP_RETRANSMIT_MS = 1_000;

export type RpcClientErrorCode = 'TIMEOUT' | 'CLOSED';

export class RpcClientError extends Error {
  constructor(
    readonly code: RpcClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RpcClientError';
  }
}

export interface RpcClientOptions {
  transport?: 'tcp' | 'udp';
  /** Default per-call timeout. */
  timeoutMs?: number;
}

export interface RpcCallOptions {
  /** Credential; default AUTH_NONE. */
  cred?: AuthSysParams | 'none';
  timeoutMs?: number;
  /** Use this xid instead of a fresh one (to test retransmission handling). */
  xid?: number;
}

interface Pending {
  resolve: (r: RpcReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  retransmit?: NodeJS.Timeout;
}

export class RpcClient {
  private readonly pending = new Map<number, Pending>();
  private nextXid = randomInt(1, 0x7fffffff);
  private closed = false;
  private unmatched = 0;

  private constructor(
    readonly transport: 'tcp' | 'udp',
    private readonly tcp: net.Socket | undefined,
    private readonly udp: dgram.Socket | undefined,
    private readonly timeoutMs: number,
  ) {}

  static connect(host: string, port: number, opts: RpcClientOptions = {}): Promise<RpcClient> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (opts.transport === 'udp') {
      const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      return new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(port, host, () => {
          socket.off('error', reject);
          const client = new RpcClient('udp', undefined, socket, timeoutMs);
          socket.on('message', (msg) => client.onMessage(msg));
          socket.on('error', () => undefined);
          socket.on('close', () => client.failAll('socket closed'));
          resolve(client);
        });
      });
    }
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RpcClientError('TIMEOUT', `connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        const client = new RpcClient('tcp', socket, undefined, timeoutMs);
        const decoder = new RecordDecoder((rec) => client.onMessage(rec), DEFAULT_MAX_RECORD_SIZE + 64 * 1024);
        socket.on('data', (chunk: Buffer) => {
          try {
            decoder.push(chunk);
          } catch (e) {
            if (!(e instanceof RecordTooLargeError)) throw e;
            socket.destroy();
          }
        });
        socket.on('error', () => undefined);
        socket.on('close', () => client.failAll('connection closed'));
        resolve(client);
      });
    });
  }

  /** Replies that matched no waiting call (late, duplicated, or unsolicited). */
  get unmatchedReplies(): number {
    return this.unmatched;
  }

  /** Calls waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Call a procedure; resolves with the decoded reply (any accept/reject status).
   * `args` may be a list of buffers (e.g. a WRITE header and its payload),
   * sent in order without being copied together.
   */
  call(
    prog: number,
    vers: number,
    proc: number,
    args: Buffer | Uint8Array | readonly Buffer[],
    opts: RpcCallOptions = {},
  ): Promise<RpcReply> {
    const xid = opts.xid ?? this.allocXid();
    const w = new XdrWriter(64 + args.length);
    let cred: OpaqueAuth = { flavor: AUTH_NONE, body: Buffer.alloc(0) };
    if (opts.cred && opts.cred !== 'none') {
      cred = { flavor: AUTH_SYS, body: encodeAuthSys(new XdrWriter(128), opts.cred).toBuffer() };
    }
    encodeCallHeader(w, { xid, prog, vers, proc, cred, verf: { flavor: AUTH_NONE, body: Buffer.alloc(0) } });
    const head = w.toBuffer();
    if (Array.isArray(args)) return this.send(xid, [head, ...(args as readonly Buffer[])], opts.timeoutMs);
    const bytes = args as Buffer | Uint8Array;
    return this.send(
      xid,
      bytes.length ? [head, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)] : [head],
      opts.timeoutMs,
    );
  }

  /**
   * Send a complete, caller-built RPC message (framed as one record on TCP)
   * and wait for the reply whose xid equals the message's first word.
   */
  rawCall(message: Buffer, opts: { timeoutMs?: number } = {}): Promise<RpcReply> {
    if (message.length < 4) return Promise.reject(new RangeError('an RPC message starts with a 4-byte xid'));
    return this.send(message.readUInt32BE(0), [message], opts.timeoutMs);
  }

  /** Write bytes to the transport verbatim (no record mark): for hostile-input tests. */
  sendRaw(bytes: Buffer | Uint8Array): void {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (this.tcp) this.tcp.write(b);
    else this.udp?.send(b);
  }

  /** Close the transport; calls still waiting fail with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tcp) {
      const socket = this.tcp;
      await new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      });
    } else if (this.udp) {
      const socket = this.udp;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    this.failAll('client closed');
  }

  private allocXid(): number {
    const xid = this.nextXid;
    this.nextXid = (this.nextXid + 1) >>> 0;
    return xid;
  }

  private send(xid: number, parts: Buffer[], timeoutMs = this.timeoutMs): Promise<RpcReply> {
    if (this.closed) return Promise.reject(new RpcClientError('CLOSED', 'client closed'));
    if (this.pending.has(xid)) return Promise.reject(new RangeError(`xid ${xid} already in flight`));
    return new Promise<RpcReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(xid);
        reject(new RpcClientError('TIMEOUT', `RPC call xid ${xid} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const p: Pending = { resolve, reject, timer };
      this.pending.set(xid, p);
      if (this.tcp) {
        this.tcp.cork();
        for (const b of frameRecord(parts)) this.tcp.write(b);
        this.tcp.uncork();
      } else if (this.udp) {
        const udp = this.udp;
        const transmit = (): void => udp.send(parts);
        transmit();
        p.retransmit = setInterval(transmit, Math.min(UDP_RETRANSMIT_MS, Math.max(1, timeoutMs / 3)));
      }
    });
  }

  /** Remove a waiter and its timers; returns it if it was still waiting. */
  private settle(xid: number): Pending | undefined {
    const p = this.pending.get(xid);
    if (!p) return undefined;
    this.pending.delete(xid);
    clearTimeout(p.timer);
    if (p.retransmit) clearInterval(p.retransmit);
    return p;
  }

  private onMessage(msg: Buffer): void {
    let reply: RpcReply;
    try {
      reply = decodeReply(msg);
    } catch (e) {
      if (!(e instanceof XdrError)) throw e;
      this.unmatched++;
      return;
    }
    const p = this.settle(reply.xid);
    if (!p) {
      this.unmatched++;
      return;
    }
    p.resolve(reply);
  }

  private failAll(reason: string): void {
    this.closed = true;
    for (const xid of [...this.pending.keys()]) {
      this.settle(xid)?.reject(new RpcClientError('CLOSED', `${reason} (xid ${xid} unanswered)`));
    }
  }
}
