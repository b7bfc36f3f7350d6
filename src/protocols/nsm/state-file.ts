/**
 * The NSM's persistent state (what /var/lib/nfs/statd keeps for rpc.statd):
 * this server's state number and the peers to notify after a restart.
 * One small JSON file, replaced atomically (write a temporary file, fsync,
 * rename, fsync the directory) so a crash leaves the old or the new
 * version, never a torn one. Writes are serialised and coalesced.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A program that asked (SM_MON) to be called when a peer changes state. */
export interface MonitorRegistration {
  myName: string;
  prog: number;
  vers: number;
  proc: number;
  /** mon.priv as hex. */
  priv: string;
}

export interface PeerRecord {
  /** The peer's name: NLM caller_name, or SM_MON mon_name. */
  name: string;
  /** Where its statd is (the address its requests came from). */
  address?: string;
  /** The address it reached us on: the name it monitors this server by. */
  localAddress?: string;
  /** Its last known NSM state number. */
  state?: number;
  /** True when it holds (or held) NLM state here. */
  nlm?: boolean;
  monitors: MonitorRegistration[];
}

export interface NsmState {
  state: number;
  peers: PeerRecord[];
}

const FORMAT = 1;
const MAX_PEERS = 100_000;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function parsePeer(p: unknown): PeerRecord | undefined {
  if (typeof p !== 'object' || p === null) return undefined;
  const o = p as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name.length === 0) return undefined;
  const monitors: MonitorRegistration[] = [];
  if (Array.isArray(o.monitors)) {
    for (const m of o.monitors as unknown[]) {
      const r = m as Record<string, unknown>;
      if (typeof r === 'object' && r && typeof r.myName === 'string' && isInt(r.prog) && isInt(r.vers) && isInt(r.proc))
        monitors.push({
          myName: r.myName,
          prog: r.prog,
          vers: r.vers,
          proc: r.proc,
          priv: typeof r.priv === 'string' ? r.priv : '',
        });
    }
  }
  return {
    name: o.name,
    address: typeof o.address === 'string' ? o.address : undefined,
    localAddress: typeof o.localAddress === 'string' ? o.localAddress : undefined,
    state: isInt(o.state) ? o.state : undefined,
    nlm: o.nlm === true,
    monitors,
  };
}

/** Reads and writes one state file. */
export class NsmStateFile {
  private writing: Promise<void> = Promise.resolve();
  private pending: NsmState | undefined;

  constructor(readonly path: string) {}

  /** The saved state; a missing file is a first start (state 0, no peers). A corrupt file throws. */
  async load(): Promise<NsmState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 0, peers: [] };
      throw e;
    }
    const j = JSON.parse(text) as Record<string, unknown>;
    if (j.format !== FORMAT || !isInt(j.state) || !Array.isArray(j.peers)) {
      throw new Error(`${this.path}: not an NSM state file (format ${String(j.format)})`);
    }
    const peers = (j.peers as unknown[])
      .slice(0, MAX_PEERS)
      .map(parsePeer)
      .filter((p): p is PeerRecord => !!p);
    return { state: j.state, peers };
  }

  /**
   * Persist `s` (a snapshot: the caller must not mutate it afterwards).
   * Resolves once it (or a later snapshot) is on disk.
   */
  save(s: NsmState): Promise<void> {
    const queued = this.pending !== undefined;
    this.pending = s;
    if (queued) return this.writing;
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        const snapshot = this.pending!;
        this.pending = undefined;
        await this.write(snapshot);
      });
    return this.writing;
  }

  private async write(s: NsmState): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ format: FORMAT, state: s.state, peers: s.peers }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}
