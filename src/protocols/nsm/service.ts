/**
 * The server's status monitor (XNFS chapter 11), what rpc.statd is for a
 * kernel server: it keeps this server's state number and the list of peers
 * that hold lock state here, persisted in one file (state-file.ts).
 *
 * - startup(): the state number moves to the next odd value (statd's
 *   convention: odd = up); then notifyPeers() sends every peer known before
 *   the restart SM_NOTIFY so it reclaims its locks (the lock managers are in
 *   grace by then).
 * - A peer's SM_NOTIFY with a state different from the one it last had
 *   means it rebooted: the `onPeerRebooted` listeners drop its locks, and
 *   programs that asked SM_MON for that peer get their status callback.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { silentLogger, type Logger } from '../../observability/logger.js';
import { isLoopback } from '../portmap/peer-address.js';
import { PortmapRemoteCaller, type RemoteCaller } from '../portmap/remote-call.js';
import { XdrWriter } from '../xdr/writer.js';
import { encodeStatChange, encodeStatusCallback, type Mon, type MonId, type MyId } from './codec.js';
import { NSM_PROGRAM, NSM_V1, NsmProc } from './constants.js';
import { NsmStateFile, type MonitorRegistration, type PeerRecord } from './state-file.js';

export type { PeerRecord, MonitorRegistration } from './state-file.js';

/** Refuse new peers past this many (a hostile client must not grow the file without bound). */
const MAX_PEERS = 10_000;
const MAX_MONITORS_PER_PEER = 16;

export interface NsmServiceOptions {
  /** The state file (e.g. <data-dir>/nsm/state.json). */
  path: string;
  logger?: Logger;
  /** Outgoing calls (SM_NOTIFY, status callbacks); default: through the peer's portmapper. */
  caller?: RemoteCaller;
  /** mon_name in our SM_NOTIFY when the address a peer used to reach us is unknown; default os.hostname(). */
  serverName?: string;
  /** Waits between SM_NOTIFY attempts to a peer that does not answer; default 1, 2, 5, 10, 30 s. */
  notifyRetryDelaysMs?: readonly number[];
}

/** A host that takes lock state here (from NLM). */
export interface PeerInfo {
  name: string;
  address?: string;
  localAddress?: string;
  state?: number;
}

export type RebootListener = (peerName: string, newState: number) => Promise<void> | void;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function sameMyId(m: MonitorRegistration, id: MyId): boolean {
  return m.myName === id.myName && m.prog === id.prog && m.vers === id.vers && m.proc === id.proc;
}

export class NsmService {
  private readonly file: NsmStateFile;
  private readonly peers = new Map<string, PeerRecord>();
  private current = 0;
  private readonly listeners: RebootListener[] = [];
  private readonly logger: Logger;
  private readonly caller: RemoteCaller;
  private readonly serverName: string;
  private readonly retryDelays: readonly number[];
  private notifying = new Set<Promise<void>>();
  private previous: PeerRecord[] = [];
  private closed = false;

  constructor(opts: NsmServiceOptions) {
    this.file = new NsmStateFile(opts.path);
    const logger = opts.logger ?? silentLogger;
    this.logger = 'protocol' in logger.bindings() ? logger : logger.child({ protocol: 'nsm' });
    this.caller = opts.caller ?? new PortmapRemoteCaller();
    this.serverName = opts.serverName ?? hostname();
    this.retryDelays = opts.notifyRetryDelaysMs ?? [1_000, 2_000, 5_000, 10_000, 30_000];
  }

  /** This server's NSM state number (odd while up). */
  get state(): number {
    return this.current;
  }

  /** Called with a peer's name when it reports a reboot (its locks must go). */
  onPeerRebooted(listener: RebootListener): void {
    this.listeners.push(listener);
  }

  /**
   * Load the state file, advance the state number to the next odd value and
   * persist it. Returns the peers of the previous run; {@link notifyPeers}
   * tells them once the server is serving.
   */
  async startup(): Promise<{ previousPeers: PeerInfo[]; state: number }> {
    const saved = await this.file.load();
    this.current = saved.state % 2 === 1 ? saved.state + 2 : saved.state + 1;
    for (const p of saved.peers) this.peers.set(p.name, p);
    await this.persist();
    const previousPeers = saved.peers.map(({ name, address, localAddress, state }) => ({
      name,
      address,
      localAddress,
      state,
    }));
    this.logger.info({ state: this.current, peers: previousPeers.length }, 'nsm: started');
    this.previous = saved.peers;
    return { previousPeers, state: this.current };
  }

  /**
   * Send SM_NOTIFY (in the background, with retries) to every peer of the
   * previous run, so they reclaim their locks. Call once the NLM and NSM
   * programs are being served and the lock managers are in grace.
   */
  notifyPeers(): void {
    const peers = this.previous;
    this.previous = [];
    for (const p of peers) this.track(this.notifyPeer(p));
  }

  /** Peers currently known (to be notified after a restart). */
  listPeers(): PeerInfo[] {
    return [...this.peers.values()].map(({ name, address, localAddress, state }) => ({
      name,
      address,
      localAddress,
      state,
    }));
  }

  /**
   * A host took lock state (NLM LOCK/SHARE): remember it so it is notified
   * after a restart. Cheap when nothing changed (called on every LOCK).
   */
  monitorPeer(info: PeerInfo): void {
    const p = this.peers.get(info.name);
    if (p) {
      const changed =
        !p.nlm ||
        (info.address !== undefined && p.address !== info.address) ||
        (info.localAddress !== undefined && p.localAddress !== info.localAddress) ||
        (info.state !== undefined && p.state !== info.state);
      if (!changed) return;
      p.nlm = true;
      if (info.address !== undefined) p.address = info.address;
      if (info.localAddress !== undefined) p.localAddress = info.localAddress;
      if (info.state !== undefined) p.state = info.state;
    } else {
      if (this.peers.size >= MAX_PEERS) {
        this.logger.warn({ peer: info.name }, 'nsm: peer table full; not monitoring');
        return;
      }
      this.peers.set(info.name, { ...info, nlm: true, monitors: [] });
    }
    this.persistInBackground();
  }

  /** XNFS §11.3 SM_MON: call my_id back when mon_name changes state. False when refused. */
  async monitor(mon: Mon): Promise<boolean> {
    const name = mon.monId.monName;
    if (!name) return false;
    let p = this.peers.get(name);
    if (!p) {
      if (this.peers.size >= MAX_PEERS) return false;
      p = { name, monitors: [] };
      if (isIP(name)) p.address = name;
      this.peers.set(name, p);
    }
    const reg: MonitorRegistration = { ...mon.monId.myId, priv: mon.priv.toString('hex') };
    const i = p.monitors.findIndex((m) => sameMyId(m, mon.monId.myId));
    if (i >= 0) p.monitors[i] = reg;
    else if (p.monitors.length >= MAX_MONITORS_PER_PEER) return false;
    else p.monitors.push(reg);
    await this.persist();
    return true;
  }

  /** XNFS §11.3 SM_UNMON: stop calling my_id about mon_name. */
  async unmonitor(id: MonId): Promise<void> {
    const p = this.peers.get(id.monName);
    if (!p) return;
    p.monitors = p.monitors.filter((m) => !sameMyId(m, id.myId));
    if (!p.nlm && p.monitors.length === 0) this.peers.delete(p.name);
    await this.persist();
  }

  /** XNFS §11.3 SM_UNMON_ALL: drop every registration of my_id. */
  async unmonitorAll(id: MyId): Promise<void> {
    for (const p of [...this.peers.values()]) {
      p.monitors = p.monitors.filter((m) => !sameMyId(m, id));
      if (!p.nlm && p.monitors.length === 0) this.peers.delete(p.name);
    }
    await this.persist();
  }

  /** A host stopped holding anything here (e.g. after its reboot was handled): forget it. */
  async forgetPeer(name: string): Promise<void> {
    if (this.peers.delete(name)) await this.persist();
  }

  /**
   * XNFS §11.3 SM_SIMU_CRASH: behave as after a crash: a new state number
   * (still odd) and SM_NOTIFY to every peer.
   */
  async simulateCrash(): Promise<void> {
    this.current += 2;
    await this.persist();
    for (const p of this.peers.values()) this.track(this.notifyPeer(p));
  }

  /**
   * XNFS §11.3 SM_NOTIFY from a peer: `monName` now has state `state`. A
   * different state than the one recorded (or none recorded) means it
   * rebooted: drop its locks (listeners) and call the SM_MON registrants.
   * `from` is the caller's address; a notification about a peer that comes
   * from neither that peer's address nor this host is ignored.
   */
  async notified(monName: string, state: number, from?: string): Promise<boolean> {
    const p = this.peers.get(monName) ?? [...this.peers.values()].find((x) => x.address === monName);
    if (!p) {
      this.logger.debug({ op: 'SM_NOTIFY', peer: monName, state }, 'nsm: notify from an unknown peer');
      return false;
    }
    // As rpc.statd does, believe a reboot only from the peer itself (or a
    // relay on this host): anyone else could drop another client's locks.
    if (from !== undefined && p.address !== undefined && from !== p.address && !isLoopback(from)) {
      this.logger.warn({ op: 'SM_NOTIFY', peer: p.name, from }, 'nsm: SM_NOTIFY from another address ignored');
      return false;
    }
    if (p.state === state) return false;
    this.logger.info({ op: 'SM_NOTIFY', peer: p.name, from: p.state, to: state }, 'nsm: peer rebooted');
    p.state = state;
    for (const l of this.listeners) {
      try {
        await l(p.name, state);
      } catch (e) {
        this.logger.error({ err: e, peer: p.name }, 'nsm: reboot listener failed');
      }
    }
    for (const m of p.monitors) this.track(this.statusCallback(p, m, state));
    await this.persist();
    return true;
  }

  /** Wait for background notifications to finish (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.notifying.size) await Promise.all([...this.notifying]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.file.save(this.snapshot());
  }

  private track(p: Promise<void>): void {
    this.notifying.add(p);
    void p.finally(() => this.notifying.delete(p));
  }

  /** SM_NOTIFY to the peer's statd, named as the peer knows this server. Retries, then gives up (logged). */
  private async notifyPeer(p: PeerRecord): Promise<void> {
    const address = p.address ?? (isIP(p.name) ? p.name : undefined);
    if (!address) {
      this.logger.warn({ peer: p.name }, 'nsm: no address to notify');
      return;
    }
    const w = new XdrWriter(64);
    encodeStatChange(w, { monName: p.localAddress ?? this.serverName, state: this.current });
    const args = w.toBuffer();
    const delays = [0, ...this.retryDelays];
    for (let i = 0; i < delays.length && !this.closed; i++) {
      if (delays[i]) await sleep(delays[i]);
      try {
        await this.caller.call({ address, transport: 'udp' }, NSM_PROGRAM, NSM_V1, NsmProc.NOTIFY, args);
        this.logger.info({ op: 'SM_NOTIFY', peer: p.name, address, state: this.current }, 'nsm: peer notified');
        return;
      } catch (e) {
        this.logger.debug(
          { op: 'SM_NOTIFY', peer: p.name, attempt: i, err: (e as Error).message },
          'nsm: notify failed',
        );
      }
    }
    this.logger.warn({ op: 'SM_NOTIFY', peer: p.name, address }, 'nsm: peer could not be notified');
  }

  /** The SM_MON registrant's callback (XNFS §11.2 `status`), on its own host. */
  private async statusCallback(p: PeerRecord, m: MonitorRegistration, state: number): Promise<void> {
    const w = new XdrWriter(64);
    encodeStatusCallback(w, { monName: p.name, state, priv: Buffer.from(m.priv.padEnd(32, '0').slice(0, 32), 'hex') });
    const address = isIP(m.myName) ? m.myName : '127.0.0.1';
    try {
      await this.caller.call({ address, transport: 'udp' }, m.prog, m.vers, m.proc, w.toBuffer());
    } catch (e) {
      this.logger.warn({ peer: p.name, prog: m.prog, err: (e as Error).message }, 'nsm: status callback failed');
    }
  }

  private snapshot() {
    return {
      state: this.current,
      peers: [...this.peers.values()].map((p) => ({ ...p, monitors: p.monitors.map((m) => ({ ...m })) })),
    };
  }

  private persist(): Promise<void> {
    return this.file.save(this.snapshot());
  }

  private persistInBackground(): void {
    this.persist().catch((e: unknown) => this.logger.error({ err: e }, 'nsm: cannot save state'));
  }
}
