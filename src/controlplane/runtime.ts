import { randomBytes } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { Metrics, type LockFigures } from '../observability/metrics.js';
import type { Share, ShareAuthorizer, ShareOptions } from '../core/share.js';
import { Vfs } from '../core/vfs/vfs.js';
import type { MetadataStore } from '../storage/metadata/store.js';
import type { BlockStore } from '../storage/block/store.js';
import { RpcServer } from '../protocols/rpc/server.js';
import type { RpcProgram } from '../protocols/rpc/types.js';
import { PortmapRegistry, createPortmapProgram } from '../protocols/portmap/index.js';
import { createMountProgram } from '../protocols/mount/index.js';
import { createNfs3Program } from '../protocols/nfs3/index.js';
import { createSmb2Server, SMB2_STORE_ERROR_STATUSES, type Smb2Server } from '../protocols/smb2/index.js';
import type { AccountLookup } from '../auth/api.js';
import { createSmbAuthenticator } from '../auth/smb-authenticator.js';
import { exportOptionsOf, type ServerConfig, type ShareConfig } from './config.js';
import { MutableShareRegistry } from './share-registry.js';
import { emptyBlockDirectory, openShareStores } from './stores.js';
import { Locking } from './locking.js';
import { ContentReclaim } from '../core/fsck/reclaim.js';
import { Counter } from 'prom-client';

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
  private programs?: RpcProgram[];
  private authorizer?: ShareAuthorizer;
  private readonly stores = new Map<string, { meta: MetadataStore; blocks: BlockStore }>();
  /** Lock managers, NLM and NSM (see locking.ts). */
  private locking?: Locking;
  private smbServer?: Smb2Server;
  private smbBoundPort = 0;
  private smbAccounts?: AccountLookup;
  /** Per share: the background reclaim of content a crash left unreferenced (core/fsck/reclaim.ts). */
  private readonly reclaims = new Map<string, ContentReclaim>();

  constructor(
    readonly config: ServerConfig,
    readonly logger: Logger = silentLogger,
    metrics?: Metrics,
  ) {
    this.metrics = metrics ?? new Metrics();
    this.metrics.trackConnections('nfs', () => this.server?.connectionCount ?? 0);
    this.metrics.trackConnections('smb', () => this.smbServer?.connectionCount ?? 0);
    this.metrics.trackLocks(() => this.lockFigures());
  }

  private *lockFigures(): Generator<{ share: string; stats: LockFigures }> {
    if (!this.locking) return;
    for (const [id, lm] of this.locking.entries()) {
      yield { share: this.shares.byId(id)?.name ?? String(id), stats: lm.stats() };
    }
  }

  get port(): number {
    return this.boundPort;
  }

  /** Whether the NFS adapter (NFS + MOUNT + portmap on one port) is listening. */
  get nfsListening(): boolean {
    return this.server !== undefined;
  }

  /**
   * Share permissions for MOUNT and NFS (the control plane installs one).
   * Unset: every caller the export policy admits may read and write.
   */
  setAuthorizer(authorize: ShareAuthorizer | undefined): void {
    this.authorizer = authorize;
  }

  /**
   * Export the configured shares and, unless `nfs.enabled` is false, start
   * the NFS adapter on `nfs.port` (default: the configured port).
   */
  async start(opts: { nfs?: { enabled?: boolean; port?: number } } = {}): Promise<void> {
    this.locking = new Locking({
      shares: this.shares,
      dataDir: this.config.dataDir,
      graceSeconds: this.config.lockGraceSeconds,
      logger: this.logger,
      authorize: (share, caller, peer) => this.authorizer?.(share, caller, peer) ?? 'write',
    });
    for (const sc of this.config.shares) await this.addShare(sc);
    await this.locking.startup();

    const portmapProgram = createPortmapProgram(this.portmap);
    const authorize: ShareAuthorizer = (share, caller, peer) => this.authorizer?.(share, caller, peer) ?? 'write';
    this.programs = [
      portmapProgram,
      createMountProgram({ shares: this.shares, logger: this.logger.child({ protocol: 'mount' }), authorize }),
      createNfs3Program({
        shares: this.shares,
        logger: this.logger.child({ protocol: 'nfs3' }),
        writeVerifier: this.writeVerifier,
        maxIo: this.config.maxIo,
        // RFC 1813 §2.6: NFS3ERR_IO (5) and NFS3ERR_SERVERFAULT (10006) are what a failing store produces.
        onOp: this.metrics.opObserver('nfs3', [5, 10006]),
        onBytes: this.metrics.bytesObserver('nfs3'),
        authorize,
        // NFS accesses break SMB leases (docs/locking.md "Across protocols").
        locks: (shareId) => this.locking?.manager(shareId),
      }),
      ...this.locking.programs,
    ];
    if (opts.nfs?.enabled !== false) await this.startNfs(opts.nfs?.port ?? this.config.port);

    if (this.config.portmapPort > 0 && this.config.portmapPort !== this.config.port) {
      this.portmapServer = new RpcServer({
        programs: [portmapProgram],
        logger: this.logger.child({ component: 'portmap' }),
      });
      await this.portmapServer.listenTcp(this.config.portmapPort, this.config.host);
      await this.portmapServer.listenUdp(this.config.portmapPort, this.config.host);
    }
    this.locking.notifyPeers();
    if (this.config.smb.enabled) await this.startSmb();
  }

  /** The SMB adapter's bound port (0 when it is not listening). */
  get smbPort(): number {
    return this.smbBoundPort;
  }

  /** Where SMB authentication finds users' NT hashes (the control plane installs it). Unset: every login fails. */
  setSmbAccountLookup(lookup: AccountLookup | undefined): void {
    this.smbAccounts = lookup;
  }

  /** Start the SMB2/3 adapter (docs/smb.md) on `port` (default smb.port); restarts if already up. */
  async startSmb(port = this.config.smb.port): Promise<number> {
    if (this.smbServer) await this.stopSmb();
    const smb = this.config.smb;
    const logger = this.logger.child({ protocol: 'smb2' });
    const server = createSmb2Server({
      shares: this.shares,
      authenticator: createSmbAuthenticator({
        lookup: (user, domain) => this.smbAccounts?.(user, domain) ?? Promise.resolve(undefined),
        serverName: smb.serverName,
        domain: smb.domain,
        logger,
      }),
      authorize: (share, caller, peer) => this.authorizer?.(share, caller, peer) ?? 'write',
      requireSigning: smb.requireSigning,
      logger,
      onOp: this.metrics.opObserver('smb2', SMB2_STORE_ERROR_STATUSES),
      onBytes: this.metrics.bytesObserver('smb2'),
      // The same per-share lock managers NLM uses (docs/locking.md "Across protocols").
      locks: (shareId) => this.locking?.manager(shareId),
    });
    this.smbBoundPort = await server.listen(port, this.config.host);
    this.smbServer = server;
    this.logger.info({ port: this.smbBoundPort, host: this.config.host }, 'smb adapter listening');
    return this.smbBoundPort;
  }

  /** Stop the SMB adapter: close the listener and every client connection (their opens are closed). */
  async stopSmb(): Promise<void> {
    const server = this.smbServer;
    if (!server) return;
    this.smbServer = undefined;
    this.smbBoundPort = 0;
    await server.close();
    this.logger.info('smb adapter stopped');
  }

  /** Start listening for NFS, MOUNT and portmap on `port` (TCP and UDP); restarts on a new port if already up. */
  async startNfs(port: number): Promise<number> {
    if (!this.programs) throw new Error('runtime not started');
    if (this.server) await this.stopNfs();
    const server = new RpcServer({
      programs: this.programs,
      logger: this.logger.child({ component: 'rpc' }),
      maxRecordSize: this.config.maxRecordSize,
    });
    try {
      const bound = await server.listenTcp(port, this.config.host);
      await server.listenUdp(bound.port, this.config.host);
      port = bound.port;
    } catch (e) {
      await server.close().catch(() => undefined);
      throw e;
    }
    this.server = server;
    this.boundPort = port;
    for (const protocol of ['tcp', 'udp'] as const) {
      for (const vers of [2, 3, 4]) this.portmap.set({ prog: PROG_PORTMAP, vers, protocol, port });
      this.portmap.set({ prog: PROG_NFS, vers: 3, protocol, port });
      for (const vers of [1, 2, 3]) this.portmap.set({ prog: PROG_MOUNT, vers, protocol, port });
    }
    this.locking?.register(this.portmap, port);
    this.logger.info({ port, host: this.config.host }, 'nfs adapter listening');
    return port;
  }

  /** Stop the NFS adapter: close the listeners and every client connection. Shares stay exported. */
  async stopNfs(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundPort = 0;
    await server.close();
    this.logger.info('nfs adapter stopped');
  }

  /** Export a share at once (its stores are opened here); throws if the name is taken. */
  async addShare(sc: ShareConfig): Promise<Share> {
    if (this.shares.byName(sc.name)) throw new Error(`share ${sc.name} is already exported`);
    if (sc.blocks.type === 'fs' && sc.metadata.type === 'memory') {
      // The namespace is in memory: content left by an earlier run can never
      // be referenced again, so the share starts from an empty directory
      // (refused, not wiped, when another process serves it).
      await emptyBlockDirectory(sc.blocks.path);
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
    // After Vfs.create: that opens the metadata store, from which the lock manager loads its state.
    await this.locking?.addShare(id, meta);
    const share: Share = {
      id,
      name: sc.name,
      vfs,
      options: exportOptionsOf(sc),
    };
    this.shares.add(share);
    // Content a crash left unreferenced: reclaimed in the background, serving does not wait.
    // Memory metadata persists nothing (its fs content was wiped above); a read-only share is left as is.
    if (sc.metadata.type !== 'memory' && !sc.readOnly) this.startReclaim(sc.name, meta, blocks);
    return share;
  }

  private startReclaim(name: string, meta: MetadataStore, blocks: BlockStore): void {
    const counter =
      (this.metrics.registry.getSingleMetric('dfs_content_reclaimed_total') as Counter<'share'> | undefined) ??
      new Counter({
        name: 'dfs_content_reclaimed_total',
        help: 'Content ids a crash left unreferenced, deleted by the reclaim at share start, by share',
        labelNames: ['share'],
        registers: [this.metrics.registry],
      });
    const reclaim = new ContentReclaim({
      meta,
      blocks,
      logger: this.logger.child({ share: name, component: 'reclaim' }),
      onDone: (r) => counter.inc({ share: name }, r.reclaimed),
    });
    this.reclaims.set(name, reclaim);
    void reclaim.done.finally(() => {
      if (this.reclaims.get(name) === reclaim) this.reclaims.delete(name);
    });
  }

  /**
   * Change a share's export options at once: the next MNT and NFS request
   * see them (protocols look the share up per request). False when no such share.
   */
  updateShareOptions(name: string, options: ShareOptions): boolean {
    const cur = this.shares.byName(name);
    if (!cur) return false;
    this.shares.replace({ ...cur, options: { ...options, allowedClients: [...options.allowedClients] } });
    return true;
  }

  /**
   * Stop exporting a share: new MNTs get NOENT, handles into it get STALE;
   * its stores are closed. False when no such share.
   */
  async removeShare(name: string): Promise<boolean> {
    const share = this.shares.remove(name);
    if (!share) return false;
    await this.persistUnstable(share);
    await this.locking?.removeShare(share.id);
    await this.reclaims.get(name)?.stop();
    const stores = this.stores.get(name);
    this.stores.delete(name);
    if (stores) {
      await stores.blocks.close();
      await stores.meta.close();
    }
    return true;
  }

  /**
   * A clean stop keeps the size and times of UNSTABLE writes, which the VFS
   * holds in memory until COMMIT (RFC 1813 §3.3.7); a failure only loses what
   * a crash would.
   */
  private async persistUnstable(share: Share): Promise<void> {
    try {
      await share.vfs.flush?.();
    } catch (err) {
      this.logger.warn({ err, share: share.name }, 'persisting attributes of unstable writes failed');
    }
  }

  async stop(): Promise<void> {
    await this.portmapServer?.close();
    await this.stopSmb();
    await this.stopNfs();
    await this.locking?.close();
    for (const s of this.shares.list()) {
      await this.persistUnstable(s);
      this.shares.remove(s.name);
    }
    for (const r of [...this.reclaims.values()]) await r.stop();
    for (const { meta, blocks } of this.stores.values()) {
      await blocks.close();
      await meta.close();
    }
    this.stores.clear();
  }
}
