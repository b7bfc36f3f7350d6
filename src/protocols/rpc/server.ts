/**
 * ONC RPC server (RFC 5531) over TCP (record marking, §11) and UDP (one
 * datagram per message). Every program shares the same listeners and is
 * chosen by program number.
 *
 * TCP connections are pipelined: calls are decoded and started without
 * waiting for earlier replies, and replies go out in completion order (RPC
 * matches them by xid). Two bounds keep a client from making the server
 * buffer without limit: at most `maxInFlightPerConnection` calls run per
 * connection (the socket is paused at the bound), and no new call is started
 * while more than `maxQueuedReplyBytes` of replies wait in the socket's write
 * buffer. The second bound counts bytes, not Node's 16 KiB high-water mark:
 * one 1 MiB READ reply is above that mark, so with it every READ waited for
 * the previous replies to drain completely and pipelining stopped.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { silentLogger, type Logger } from '../../observability/logger.js';
import { RpcDispatcher } from './dispatcher.js';
import { DEFAULT_DRC_ENTRIES } from './drc.js';
import { DEFAULT_MAX_RECORD_SIZE, RecordDecoder, RecordTooLargeError, writeRecordMark } from './record-marking.js';
import type { RpcPeer, RpcProgram } from './types.js';

export const DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION = 64;
/** Reply bytes a connection may have waiting in its write buffer while it still starts calls. */
export const DEFAULT_MAX_QUEUED_REPLY_BYTES = 4 * 1024 * 1024;
/** UDP: one datagram is one message; IPv4's largest payload. */
const MAX_UDP_REPLY = 65507;
/** UDP peers remembered for stable connection ids. */
const UDP_PEER_IDS = 4096;

export interface RpcServerOptions {
  programs: RpcProgram[];
  logger?: Logger;
  /** Largest TCP record accepted (RFC 5531 §11 sets none); default 4 MiB. */
  maxRecordSize?: number;
  /** Duplicate request cache capacity (entries); default 1024. */
  drcEntries?: number;
  /** Calls running at once on one TCP connection before reading pauses; default 64. */
  maxInFlightPerConnection?: number;
  /**
   * No new call starts on a connection while more reply bytes than this wait
   * in its write buffer (a client that does not read); default 4 MiB. The
   * buffer then holds at most this plus the replies of the calls in flight.
   */
  maxQueuedReplyBytes?: number;
}

let nextConnectionId = 1;

/** Strip the IPv4-mapped prefix so peers read as plain dotted quads. */
function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Bounds of one corked batch of replies (see TcpConnection.onReply). */
const MAX_CORKED_REPLIES = 64;
const MAX_CORKED_BYTES = 256 * 1024;

class TcpConnection {
  private readonly decoder: RecordDecoder;
  private readonly queue: Buffer[] = [];
  private inFlight = 0;
  private paused = false;
  /** Corked until the next setImmediate, see onReply. */
  private corked = false;
  private corkedReplies = 0;
  private closed = false;
  /** The client half-closed: finish its calls, then end our side. */
  private ended = false;
  readonly peer: RpcPeer;

  constructor(
    private readonly socket: net.Socket,
    private readonly server: RpcServer,
    private readonly dispatcher: RpcDispatcher,
    private readonly logger: Logger,
    maxRecordSize: number,
    private readonly maxInFlight: number,
    private readonly maxQueuedBytes: number,
  ) {
    this.peer = {
      transport: 'tcp',
      address: plainAddress(socket.remoteAddress),
      port: socket.remotePort ?? 0,
      connectionId: nextConnectionId++,
      localAddress: plainAddress(socket.localAddress),
      localPort: socket.localPort ?? 0,
    };
    this.decoder = new RecordDecoder((record) => this.queue.push(record), maxRecordSize);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('end', () => {
      this.ended = true;
      this.pump();
    });
    socket.on('error', (err) => this.logger.debug({ err, client: this.peer.address }, 'rpc: connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
      this.server.connectionClosed(this);
    });
  }

  /** Bytes held for records not yet complete plus complete records not yet started. */
  get bufferedBytes(): number {
    let n = this.decoder.bufferedBytes;
    for (const r of this.queue) n += r.length;
    return n;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof RecordTooLargeError)) throw e;
      // RFC 5531 §11 gives no way to skip a record, so the stream cannot be resynchronised.
      this.logger.warn({ client: this.peer.address, claimed: e.claimed, max: e.max }, 'rpc: record too large, closing');
      this.queue.length = 0;
      this.socket.destroy();
      return;
    }
    this.pump();
  }

  /** Replies beyond the byte bound wait in the write buffer: start no call until some leave. */
  private get writeBlocked(): boolean {
    return this.socket.writableLength > this.maxQueuedBytes;
  }

  /** Start queued calls while under both bounds; pause reading otherwise. */
  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight && !this.writeBlocked) {
      if (this.closed) return;
      const record = this.queue.shift() as Buffer;
      this.inFlight++;
      void this.dispatcher.dispatch(record, this.peer, 4).then((reply) => this.onReply(reply));
    }
    if (this.ended && this.queue.length === 0 && this.inFlight === 0) {
      this.socket.end();
      return;
    }
    const blocked = this.queue.length > 0 || this.inFlight >= this.maxInFlight || this.writeBlocked;
    if (blocked && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!blocked && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private onReply(reply: Buffer[] | null): void {
    this.inFlight--;
    if (this.closed || this.socket.destroyed) return;
    if (reply) {
      let length = -4;
      for (const b of reply) length += b.length;
      writeRecordMark(reply[0], 0, length);
      // Replies finished in the same event-loop turn (pipelined calls, each completed by its own
      // I/O callback) and the buffers of one record (READ payloads, not concatenated) leave in
      // one writev: corked until setImmediate, which runs right after this turn's I/O callbacks.
      // On loopback a socket write(2) also runs the receiver's TCP input, so each write saved is
      // tens of µs. The write buffer still counts corked replies, so pump's byte bound holds.
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        setImmediate(this.uncork);
      }
      const last = reply.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(reply[i]);
      // 'drain' fires only once the buffer is empty; the write callback of each reply's last
      // buffer lets pump start waiting calls as soon as the buffer is back under the bound.
      this.socket.write(reply[last], this.afterWrite);
      // Calls that keep finishing in one long run of microtasks must not hold replies back:
      // flush every so many replies (a pending immediate then uncorks a later cork early, harmlessly).
      if (++this.corkedReplies >= MAX_CORKED_REPLIES || this.socket.writableLength >= MAX_CORKED_BYTES) this.uncork();
    }
    this.pump();
  }

  private readonly afterWrite = (): void => {
    if (this.paused && !this.closed) this.pump();
  };

  private readonly uncork = (): void => {
    this.corked = false;
    this.corkedReplies = 0;
    this.socket.uncork();
  };
}

export class RpcServer {
  private readonly dispatcher: RpcDispatcher;
  private readonly logger: Logger;
  private readonly maxRecordSize: number;
  private readonly maxInFlight: number;
  private readonly maxQueuedBytes: number;
  private readonly tcpServers: net.Server[] = [];
  private readonly udpSockets: dgram.Socket[] = [];
  private readonly connections = new Set<TcpConnection>();
  private readonly udpPeerIds = new Map<string, number>();
  private readonly closeWaiters = new Set<() => void>();

  constructor(opts: RpcServerOptions) {
    this.logger = (opts.logger ?? silentLogger).child({ protocol: 'rpc' });
    this.maxRecordSize = opts.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;
    this.maxInFlight = Math.max(1, opts.maxInFlightPerConnection ?? DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION);
    this.maxQueuedBytes = Math.max(0, opts.maxQueuedReplyBytes ?? DEFAULT_MAX_QUEUED_REPLY_BYTES);
    this.dispatcher = new RpcDispatcher({
      programs: opts.programs,
      logger: this.logger,
      drcEntries: opts.drcEntries ?? DEFAULT_DRC_ENTRIES,
    });
  }

  addProgram(p: RpcProgram): void {
    this.dispatcher.addProgram(p);
  }

  removeProgram(prog: number): void {
    this.dispatcher.removeProgram(prog);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes buffered across all TCP connections for incomplete or not-yet-started calls. */
  get bufferedBytes(): number {
    let n = 0;
    for (const c of this.connections) n += c.bufferedBytes;
    return n;
  }

  listenTcp(port: number, host?: string): Promise<{ port: number }> {
    // allowHalfOpen: a client may send its calls and shut down its sending
    // side; the replies still go out before the connection ends.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      const conn = new TcpConnection(
        socket,
        this,
        this.dispatcher,
        this.logger,
        this.maxRecordSize,
        this.maxInFlight,
        this.maxQueuedBytes,
      );
      this.connections.add(conn);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.logger.error({ err }, 'rpc: TCP listener error'));
        this.tcpServers.push(server);
        resolve({ port: (server.address() as net.AddressInfo).port });
      });
    });
  }

  listenUdp(port: number, host?: string): Promise<{ port: number }> {
    const isV6 = host !== undefined && net.isIPv6(host);
    const socket = dgram.createSocket({ type: isV6 ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        const local = socket.address();
        socket.on('message', (msg, rinfo) => this.onDatagram(socket, local, msg, rinfo));
        socket.on('error', (err) => this.logger.warn({ err }, 'rpc: UDP socket error'));
        this.udpSockets.push(socket);
        resolve({ port: socket.address().port });
      });
    });
  }

  /** Stop listening, destroy every connection, and resolve once all are closed. */
  async close(): Promise<void> {
    const servers = this.tcpServers.splice(0);
    const sockets = this.udpSockets.splice(0);
    const allClosed = new Promise<void>((resolve) => {
      if (this.connections.size === 0) return resolve();
      this.closeWaiters.add(resolve);
    });
    for (const c of this.connections) c.destroy();
    await Promise.all([
      ...servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ...sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      allClosed,
    ]);
  }

  /** @internal called by a connection when its socket has closed. */
  connectionClosed(conn: TcpConnection): void {
    this.connections.delete(conn);
    if (this.connections.size === 0) {
      for (const w of this.closeWaiters) w();
      this.closeWaiters.clear();
    }
  }

  private onDatagram(socket: dgram.Socket, local: net.AddressInfo, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const peer: RpcPeer = {
      transport: 'udp',
      address: plainAddress(rinfo.address),
      port: rinfo.port,
      connectionId: this.udpPeerId(rinfo),
      localAddress: plainAddress(local.address),
      localPort: local.port,
    };
    void this.dispatcher.dispatch(msg, peer, 0).then((reply) => {
      if (!reply) return;
      let length = 0;
      for (const b of reply) length += b.length;
      if (length > MAX_UDP_REPLY) {
        this.logger.warn({ client: peer.address, length }, 'rpc: reply too large for UDP, dropped');
        return;
      }
      if (!this.udpSockets.includes(socket)) return; // closed while the call ran
      socket.send(reply, rinfo.port, rinfo.address, (err) => {
        if (err) this.logger.debug({ err, client: peer.address }, 'rpc: UDP send failed');
      });
    });
  }

  /** Stable id per (address, port), from a bounded map (oldest forgotten first). */
  private udpPeerId(rinfo: dgram.RemoteInfo): number {
    const key = `${rinfo.address}|${rinfo.port}`;
    let id = this.udpPeerIds.get(key);
    if (id === undefined) {
      id = nextConnectionId++;
      this.udpPeerIds.set(key, id);
      if (this.udpPeerIds.size > UDP_PEER_IDS) this.udpPeerIds.delete(this.udpPeerIds.keys().next().value as string);
    }
    return id;
  }
}
