/**
 * Oplocks and leases of SMB opens, held as leases of the share's lock
 * manager (docs/locking.md "Leases and breaks") so that NFS writers, NLM
 * lockers and other SMB clients break them the same way.
 *
 * - An oplock (MS-SMB2 §3.3.5.9.8 without a lease context) is one manager
 *   lease per open: level II = R, exclusive = RW, batch = RWH.
 * - A lease (§3.3.5.9.11, RqLs v1/v2) is one manager lease per ClientGuid +
 *   LeaseKey; every open of the client naming that key shares it, and it
 *   ends when the last of those opens closes (§3.3.4.17 Lease.LeaseOpens).
 *
 * Grants never break anybody (the manager's `noBreak`): the open itself
 * already broke what its access conflicts with (share-modes.ts), and a lease
 * that would need more is granted at the strongest level available, as
 * Windows does (RWH → RH → R). The manager calls back here to break (send
 * the notification on the holder's connection, oplock-break.ts) and on
 * revocation after the break timeout.
 */
import {
  LEASE_HANDLE,
  LEASE_READ,
  LEASE_WRITE,
  type Lease,
  type LeaseKinds,
  type LockManager,
  type LockOwner,
} from '../../core/locks/index.js';
import { isFsError } from '../../core/errors.js';
import type { FileId } from '../../core/types.js';
import { Command } from './constants.js';
import type { Smb2Connection } from './connection.js';
import type { Smb2ServerContext } from './context.js';
import {
  OPLOCK_LEVEL_II,
  OPLOCK_LEVEL_NONE,
  encodeLeaseBreak,
  encodeOplockBreak,
  kindsOfOplock,
  kindsOfState,
  oplockOfKinds,
  stateOfKinds,
  type LeaseRequestContext,
} from './leases.js';
import { smbClientId } from './share-modes.js';
import type { Open } from './state.js';
import { NtStatusError, Status } from './status.js';

interface EntryBase {
  readonly reg: Registry;
  readonly lm: LockManager;
  readonly owner: LockOwner;
  /** The manager's lease key. */
  readonly key: string;
}

/** An oplock: one open's. */
export interface OplockEntry extends EntryBase {
  readonly kind: 'oplock';
  readonly open: Open;
  readonly conn: Smb2Connection;
}

/** A lease: one client's, shared by its opens with the same LeaseKey (MS-SMB2 §3.3.1.12). */
export interface LeaseEntry extends EntryBase {
  readonly kind: 'lease';
  readonly leaseKey: Buffer;
  readonly file: FileId;
  version: 1 | 2;
  /** Lease.Epoch (v2): advanced on every state change the server makes. */
  epoch: number;
  parentKey?: Buffer;
  readonly opens: Map<Open, Smb2Connection>;
}

export type CachingEntry = OplockEntry | LeaseEntry;

/** Per server: entries by client + manager key, and the managers whose callbacks point here. */
interface Registry {
  readonly entries: Map<string, CachingEntry>;
  readonly managers: WeakSet<LockManager>;
}

const registries = new WeakMap<Smb2ServerContext, Registry>();
const cachingOfOpen = new WeakMap<Open, CachingEntry>();

function registryOf(server: Smb2ServerContext): Registry {
  let reg = registries.get(server);
  if (!reg) registries.set(server, (reg = { entries: new Map(), managers: new WeakSet() }));
  return reg;
}

function entryId(clientId: string, key: string): string {
  return `${clientId}\0${key}`;
}

/** The lease entry of a client's LeaseKey (lease break acknowledgments name it). */
export function findLease(conn: Smb2Connection, leaseKey: Buffer): LeaseEntry | undefined {
  const e = registryOf(conn.server).entries.get(entryId(smbClientId(conn), `lease:${leaseKey.toString('hex')}`));
  return e?.kind === 'lease' ? e : undefined;
}

/** The oplock entry of an open (oplock break acknowledgments name the open). */
export function oplockOf(open: Open): OplockEntry | undefined {
  const e = cachingOfOpen.get(open);
  return e?.kind === 'oplock' ? e : undefined;
}

/** Register this server's break callbacks with a share's manager (once). */
function attach(server: Smb2ServerContext, lm: LockManager): Registry {
  const reg = registryOf(server);
  if (reg.managers.has(lm)) return reg;
  reg.managers.add(lm);
  lm.registerProtocol('smb', {
    onBreak: (lease) => onBreak(server, reg, lm, lease),
  });
  return reg;
}

/**
 * MS-SMB2 §3.3.4.6 / §3.3.4.7: tell the holder. A break that leaves nothing
 * to flush or close (from level II or an R lease) needs no acknowledgment:
 * the state drops at once. Otherwise the client acknowledges (oplock-break.ts)
 * or the manager revokes after its break timeout.
 */
function onBreak(server: Smb2ServerContext, reg: Registry, lm: LockManager, lease: Lease): void {
  const to = lease.breakingTo ?? 0;
  const e = reg.entries.get(entryId(lease.owner.clientId, lease.key));
  const settle = (kinds: LeaseKinds): void => {
    void Promise.resolve()
      .then(() => lm.downgradeLease(lease.owner, lease.key, kinds))
      .catch((err: unknown) => server.logger.debug({ err }, 'lease downgrade after break failed'));
  };
  if (!e) return settle(to);
  if (e.kind === 'oplock') {
    // An oplock breaks to level II when reads may stay cached, else to none (§2.2.23.1).
    const level = to & LEASE_READ ? OPLOCK_LEVEL_II : OPLOCK_LEVEL_NONE;
    const ackRequired = (lease.kinds & LEASE_WRITE) !== 0;
    e.conn.sendNotification(
      Command.OPLOCK_BREAK,
      encodeOplockBreak(level, e.open.persistentId, e.open.volatileId),
      e.open.session,
    );
    if (!ackRequired) settle(kindsOfOplock(level));
    return;
  }
  const ackRequired = (lease.kinds & (LEASE_WRITE | LEASE_HANDLE)) !== 0;
  if (e.version === 2) e.epoch = (e.epoch + 1) & 0xffff;
  const last = [...e.opens].pop();
  if (last) {
    const [open, conn] = last;
    conn.sendNotification(
      Command.OPLOCK_BREAK,
      encodeLeaseBreak(
        e.leaseKey,
        e.version === 2 ? e.epoch : 0,
        ackRequired,
        stateOfKinds(lease.kinds),
        stateOfKinds(to),
      ),
      open.session,
    );
  }
  if (!ackRequired) settle(to);
}

/** What CREATE answers about caching: the OplockLevel and, for a lease, the response context. */
export interface CachingGrant {
  oplockLevel: number;
  lease?: { version: 1 | 2; key: Buffer; parentKey?: Buffer; epoch: number; state: number; breaking: boolean };
}

/** Kinds in order of preference when the full request cannot be had without a break. */
function fallbacks(kinds: LeaseKinds): LeaseKinds[] {
  const out = [kinds];
  if (kinds & LEASE_WRITE) out.push(kinds & ~LEASE_WRITE);
  if (kinds & LEASE_HANDLE) out.push(kinds & LEASE_READ);
  return out.filter((k, i) => k !== 0 && out.indexOf(k) === i);
}

async function acquireBest(
  lm: LockManager,
  file: FileId,
  owner: LockOwner,
  key: string,
  kinds: LeaseKinds,
  keep: LeaseKinds,
): Promise<LeaseKinds> {
  for (const k of fallbacks(kinds)) {
    let res;
    try {
      res = await lm.acquireLease({ file, owner, key, kinds: k | keep }, { noBreak: true, transient: true });
    } catch (e) {
      // Grace after a restart: leases on this file are being reclaimed; cache nothing until grace ends.
      if (isFsError(e, 'GRACE')) return keep;
      throw e;
    }
    if (res.status === 'granted') return res.lease.kinds;
  }
  return keep;
}

/**
 * MS-SMB2 §3.3.5.9.8: an oplock for a file open. Directories get none;
 * exclusive and batch only when this client has no other open of the file
 * (otherwise level II, as Windows grants it to a second opener).
 */
export async function grantOplock(
  lm: LockManager,
  conn: Smb2Connection,
  open: Open,
  requested: number,
): Promise<CachingGrant> {
  if (open.isDir || requested === OPLOCK_LEVEL_NONE) return { oplockLevel: OPLOCK_LEVEL_NONE };
  let kinds = kindsOfOplock(requested);
  if (kinds === 0) return { oplockLevel: OPLOCK_LEVEL_NONE };
  if (kinds & LEASE_WRITE) {
    for (const o of conn.opens.values()) {
      if (o !== open && o.id === open.id) kinds = LEASE_READ;
    }
  }
  const reg = attach(conn.server, lm);
  const owner: LockOwner = { protocol: 'smb', clientId: smbClientId(conn), ownerId: `oplock:${open.volatileId}` };
  const key = `oplock:${open.volatileId}`;
  const granted = await acquireBest(lm, open.id, owner, key, kinds, 0);
  if (granted === 0) return { oplockLevel: OPLOCK_LEVEL_NONE };
  const entry: OplockEntry = { kind: 'oplock', reg, lm, owner, key, open, conn };
  reg.entries.set(entryId(owner.clientId, key), entry);
  cachingOfOpen.set(open, entry);
  return { oplockLevel: oplockOfKinds(granted) };
}

/**
 * MS-SMB2 §3.3.5.9.11: a lease for an open. Only 2.1+ (the caller checks);
 * directories only on 3.x and never with write caching; a state with W or H
 * but no R is not a valid lease state and gets none. A LeaseKey already used
 * by this client for another file is STATUS_INVALID_PARAMETER. An existing
 * lease is never lowered by an open; while it is being broken it is
 * reported as it is, with BREAK_IN_PROGRESS.
 */
export async function grantLease(
  lm: LockManager,
  conn: Smb2Connection,
  open: Open,
  ctx: LeaseRequestContext,
): Promise<CachingGrant> {
  // §3.3.5.9.11: directory leases are SMB 3.x only; a 2.1 client gets no lease (and no response context).
  if (open.isDir && conn.dialect < 0x0300) return { oplockLevel: OPLOCK_LEVEL_NONE };
  const reg = attach(conn.server, lm);
  const clientId = smbClientId(conn);
  const key = `lease:${ctx.key.toString('hex')}`;
  const id = entryId(clientId, key);
  const owner: LockOwner = { protocol: 'smb', clientId, ownerId: key };
  let entry = reg.entries.get(id);
  if (entry && (entry.kind !== 'lease' || entry.file !== open.id)) {
    throw new NtStatusError(Status.INVALID_PARAMETER, 'lease key in use for another file');
  }
  let wanted = kindsOfState(ctx.state);
  if ((wanted & LEASE_READ) === 0) wanted = 0;
  if (open.isDir) wanted &= LEASE_READ | LEASE_HANDLE;

  const current = lm.getLease(owner, key);
  let kinds = current?.kinds ?? 0;
  const breaking = current?.breakingTo !== undefined;
  if (!breaking && (wanted & ~kinds) !== 0) {
    try {
      kinds = await acquireBest(lm, open.id, owner, key, wanted | kinds, kinds);
    } catch (e) {
      // The manager refuses a key bound to another file (another server's entry): same answer.
      throw new NtStatusError(Status.INVALID_PARAMETER, (e as Error).message);
    }
  }
  if (!entry) {
    entry = {
      kind: 'lease',
      reg,
      lm,
      owner,
      key,
      leaseKey: ctx.key,
      file: open.id,
      version: ctx.version,
      epoch: ctx.version === 2 ? ctx.epoch : 0,
      parentKey: ctx.parentKey,
      opens: new Map(),
    };
    reg.entries.set(id, entry);
  }
  if (entry.version === 2 && kinds !== (current?.kinds ?? 0)) entry.epoch = (entry.epoch + 1) & 0xffff;
  entry.opens.delete(open);
  entry.opens.set(open, conn);
  cachingOfOpen.set(open, entry);
  return {
    oplockLevel: 0xff,
    lease: {
      version: entry.version,
      key: ctx.key,
      parentKey: entry.parentKey,
      epoch: entry.epoch,
      state: stateOfKinds(kinds),
      breaking,
    },
  };
}

/**
 * The open is going away (CLOSE, LOGOFF, TREE_DISCONNECT, connection loss):
 * its oplock ends; a lease ends with the last open that shares it.
 */
export async function releaseCaching(open: Open): Promise<void> {
  const e = cachingOfOpen.get(open);
  if (!e) return;
  cachingOfOpen.delete(open);
  const reg = e.reg;
  if (e.kind === 'lease') {
    e.opens.delete(open);
    if (e.opens.size > 0) return;
  }
  if (reg.entries.get(entryId(e.owner.clientId, e.key)) === e) reg.entries.delete(entryId(e.owner.clientId, e.key));
  // Broken to none or revoked already: the manager holds nothing more.
  if (e.lm.getLease(e.owner, e.key)) await e.lm.releaseLease(e.owner, e.key);
}
