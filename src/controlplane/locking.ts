/**
 * Byte-range locking for NFSv3 clients, as the Runtime wires it: one lock
 * manager per share (state persisted in the share's metadata store), the NLM
 * program over them, and the NSM (status monitor) that remembers which hosts
 * hold locks here.
 *
 * Start order (DESIGN.md "grace period"): shares' managers load their
 * persisted locks → startup() advances the NSM state and puts every manager
 * into grace → the programs are served → notifyPeers() tells the previous
 * run's clients to reclaim. A client's reboot notification (SM_NOTIFY with a
 * new state) or FREE_ALL releases everything it held, on every share.
 *
 * NLM asks the same questions as MOUNT and NFS before it takes lock state
 * on a share (docs/locking.md "Share permissions"): the export's client
 * networks and port rule, then the control plane's share permissions.
 */
import { join } from 'node:path';
import { createLockManager, type LockManager } from '../core/locks/index.js';
import type { ShareAuthorizer, ShareRegistry } from '../core/share.js';
import type { Logger } from '../observability/logger.js';
import { isClientAllowed, isPortAllowed } from '../protocols/mount/client-policy.js';
import { NLM_PROGRAM, createNlmProgram, type NlmProgram } from '../protocols/nlm/index.js';
import { NSM_PROGRAM, NsmService, createNsmProgram } from '../protocols/nsm/index.js';
import type { PortmapRegistry } from '../protocols/portmap/index.js';
import type { RpcPeer, RpcProgram } from '../protocols/rpc/types.js';
import type { MetadataStore } from '../storage/metadata/store.js';

export interface LockingOptions {
  shares: ShareRegistry;
  dataDir: string;
  graceSeconds: number;
  logger: Logger;
  /** Share permissions (the Runtime's, as MOUNT and NFS get them); absent = every admitted caller may write. */
  authorize?: ShareAuthorizer;
}

/**
 * The export policy, then the share permissions: a client outside the
 * share's allowed networks (or on an unprivileged port when the export
 * requires a privileged one) has no access, as for MNT and NFS requests.
 */
function nlmAuthorizer(authorize: ShareAuthorizer | undefined): ShareAuthorizer {
  return (share, caller, peer) => {
    if (!isClientAllowed(share.options, peer.address)) return 'none';
    // NLM passes the request's RpcPeer, which carries the source port.
    const port = (peer as Partial<Pick<RpcPeer, 'port'>>).port;
    if (port !== undefined && !isPortAllowed(share.options, port)) return 'none';
    return authorize ? authorize(share, caller, peer) : 'write';
  };
}

export class Locking {
  private readonly managers = new Map<number, LockManager>();
  readonly nsm: NsmService;
  readonly nlm: NlmProgram;
  readonly programs: RpcProgram[];
  private started = false;

  constructor(private readonly opts: LockingOptions) {
    this.nsm = new NsmService({
      path: join(opts.dataDir, 'nsm', 'state.json'),
      logger: opts.logger.child({ protocol: 'nsm' }),
    });
    this.nlm = createNlmProgram({
      shares: opts.shares,
      locks: (id) => this.managers.get(id),
      logger: opts.logger.child({ protocol: 'nlm' }),
      monitor: (c) => this.nsm.monitorPeer(c),
      authorize: nlmAuthorizer(opts.authorize),
    });
    this.nsm.onPeerRebooted((name) => this.nlm.releaseHost(name));
    this.programs = [this.nlm, createNsmProgram({ service: this.nsm, logger: opts.logger.child({ protocol: 'nsm' }) })];
  }

  /** The share's lock manager, with the locks held before a restart loaded (to be reclaimed in grace). */
  async addShare(shareId: number, store: MetadataStore): Promise<LockManager> {
    const lm = createLockManager({ store, logger: this.opts.logger.child({ component: 'locks', shareId }) });
    await lm.load();
    this.managers.set(shareId, lm);
    if (this.started) lm.startGrace(this.opts.graceSeconds);
    return lm;
  }

  /** Every share's lock manager, by share id (for metrics). */
  entries(): IterableIterator<[number, LockManager]> {
    return this.managers.entries();
  }

  manager(shareId: number): LockManager | undefined {
    return this.managers.get(shareId);
  }

  async removeShare(shareId: number): Promise<void> {
    const lm = this.managers.get(shareId);
    this.managers.delete(shareId);
    await lm?.close();
  }

  /** New NSM state; every share enters the grace period. */
  async startup(): Promise<void> {
    await this.nsm.startup();
    this.started = true;
    for (const lm of this.managers.values()) lm.startGrace(this.opts.graceSeconds);
  }

  /** NLM versions 1, 3, 4 and NSM v1 on `port`, both transports. */
  register(portmap: PortmapRegistry, port: number): void {
    for (const protocol of ['tcp', 'udp'] as const) {
      for (const vers of [1, 3, 4]) portmap.set({ prog: NLM_PROGRAM, vers, protocol, port });
      portmap.set({ prog: NSM_PROGRAM, vers: 1, protocol, port });
    }
  }

  /** SM_NOTIFY to the previous run's clients (call once serving). */
  notifyPeers(): void {
    this.nsm.notifyPeers();
  }

  async close(): Promise<void> {
    for (const lm of this.managers.values()) await lm.close();
    this.managers.clear();
    await this.nsm.close();
  }
}
