import * as net from 'node:net';
import { Smb2Connection } from './connection.js';
import { Smb2ServerContext, type Smb2ServerOptions } from './context.js';

/** Strip the IPv4-mapped prefix so peers read as plain dotted quads. */
function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The SMB2/3 adapter: one TCP listener (Direct TCP, MS-SMB2 §2.1), one Smb2Connection per client. */
export class Smb2Server {
  readonly context: Smb2ServerContext;
  private server?: net.Server;

  constructor(opts: Smb2ServerOptions) {
    this.context = new Smb2ServerContext(opts);
  }

  get connectionCount(): number {
    return this.context.connections.size;
  }

  /** Listen on `port` (0 = any free port); resolves to the bound port. */
  async listen(port: number, host?: string): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.context.logger.error({ err }, 'smb listener error'));
    this.server = server;
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const peer = { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    const conn = new Smb2Connection(this.context, socket, peer, (c) => this.context.connections.delete(c));
    this.context.connections.add(conn);
  }

  /** Stop listening and close every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.context.connections]) c.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
