import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import type { Share } from '../core/share.js';
import { Vfs } from '../core/vfs/vfs.js';
import type { MetadataStore } from '../storage/metadata/store.js';
import type { BlockStore } from '../storage/block/store.js';
import { RpcServer } from '../protocols/rpc/server.js';
import { PortmapRegistry, createPortmapProgram } from '../protocols/portmap/index.js';
import { createMountProgram } from '../protocols/mount/index.js';
import { createNfs3Program } from '../protocols/nfs3/index.js';
import type { ServerConfig, ShareConfig } from './config.js';
import { MutableShareRegistry } from './share-registry.js';
import { openShareStores } from './stores.js';

const PROG_PORTMAP = 100000;
const PROG_NFS = 100003;
const PROG_MOUNT = 100005;

/**
 * Wires configuration into live objects: stores → VFS → shares → RPC
 * programs → listeners. The single place that changes live state
 * (DESIGN.md "controlplane/Runtime").
 */
export class Runtime {
  readonly shares = new MutableShareRegistry();
  readonly metrics: Metrics;
  readonly portmap = new PortmapRegistry();
  /** WRITE/COMMIT verifier: new at every start so clients resend uncommitted data (RFC 1813 §3.3.7). */
  readonly writeVerifier = randomBytes(8);
  private server?: RpcServer;
  private portmapServer?: RpcServer;
  private boundPort = 0;
  private readonly stores = new Map<string, { meta: MetadataStore; blocks: BlockStore }>();

  constructor(
    readonly config: ServerConfig,
    readonly logger: Logger = silentLogger,
    metrics?: Metrics,
  ) {
    this.metrics = metrics ?? new Metrics();
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    for (const sc of this.config.shares) await this.addShare(sc);

    const portmapProgram = createPortmapProgram(this.portmap);
    this.server = new RpcServer({
      programs: [
        portmapProgram,
        createMountProgram({ shares: this.shares, logger: this.logger.child({ protocol: 'mount' }) }),
        createNfs3Program({
          shares: this.shares,
          logger: this.logger.child({ protocol: 'nfs3' }),
          writeVerifier: this.writeVerifier,
          maxIo: this.config.maxIo,
          onOp: this.metrics.opObserver('nfs3'),
        }),
      ],
      logger: this.logger.child({ component: 'rpc' }),
      maxRecordSize: this.config.maxRecordSize,
    });
    const { port } = await this.server.listenTcp(this.config.port, this.config.host);
    this.boundPort = port;
    await this.server.listenUdp(port, this.config.host);

    for (const protocol of ['tcp', 'udp'] as const) {
      for (const vers of [2, 3, 4]) this.portmap.set({ prog: PROG_PORTMAP, vers, protocol, port });
      this.portmap.set({ prog: PROG_NFS, vers: 3, protocol, port });
      for (const vers of [1, 2, 3]) this.portmap.set({ prog: PROG_MOUNT, vers, protocol, port });
    }

    if (this.config.portmapPort > 0 && this.config.portmapPort !== port) {
      this.portmapServer = new RpcServer({
        programs: [portmapProgram],
        logger: this.logger.child({ component: 'portmap' }),
      });
      await this.portmapServer.listenTcp(this.config.portmapPort, this.config.host);
      await this.portmapServer.listenUdp(this.config.portmapPort, this.config.host);
    }
  }

  private async addShare(sc: ShareConfig): Promise<Share> {
    if (sc.blocks.type === 'fs' && sc.metadata.type === 'memory') {
      // The namespace is in memory: content left by an earlier run can never
      // be referenced again, so the share starts from an empty directory.
      await rm(sc.blocks.path, { recursive: true, force: true });
    }
    const { meta, blocks } = await openShareStores(sc, this.logger);
    const id = this.shares.idFor(sc.name);
    this.stores.set(sc.name, { meta, blocks });
    const vfs = await Vfs.create({
      shareId: id,
      meta,
      blocks,
      readOnly: sc.readOnly,
      logger: this.logger.child({ share: sc.name }),
      rootMode: sc.rootMode,
      rootUid: 0,
      rootGid: 0,
    });
    const share: Share = {
      id,
      name: sc.name,
      vfs,
      options: {
        readOnly: sc.readOnly,
        rootSquash: sc.rootSquash,
        allSquash: sc.allSquash,
        anonUid: sc.anonUid,
        anonGid: sc.anonGid,
        requirePrivilegedPort: sc.requirePrivilegedPort,
        allowedClients: sc.allowedClients,
      },
    };
    this.shares.add(share);
    return share;
  }

  async stop(): Promise<void> {
    await this.portmapServer?.close();
    await this.server?.close();
    for (const s of this.shares.list()) this.shares.remove(s.name);
    for (const { meta, blocks } of this.stores.values()) {
      await blocks.close();
      await meta.close();
    }
    this.stores.clear();
  }
}
