/**
 * The unified lock manager's contract (DESIGN.md "Unified lock manager").
 *
 * One protocol-agnostic service per share holds three kinds of state, all
 * keyed by file id and owner:
 *
 * - byte-range locks (NLM, NFSv4 LOCK, SMB2 LOCK, local fcntl) with POSIX
 *   semantics per owner: a new lock over an owner's own range replaces it
 *   (upgrade/downgrade), unlocking a sub-range splits, adjacent or overlapping
 *   ranges of the same type merge;
 * - share reservations (SMB share access, NFSv4 OPEN deny modes, NLM SHARE);
 * - leases (SMB leases and oplocks, NFSv4 delegations): one record type with
 *   read/write/handle bits and a break protocol.
 *
 * The manager never knows a wire format. Protocols register callbacks with
 * {@link LockManager.registerProtocol}; the manager calls them when a queued
 * lock is granted later (NLM_GRANTED, SMB2 LOCK async reply, NFSv4 CB_NOTIFY_LOCK)
 * and when a lease held by one of their clients must be broken (SMB lease
 * break, NFSv4 CB_RECALL).
 *
 * Errors are {@link FsError}s: INVAL (bad range, unknown lease), GRACE
 * (a non-reclaim during the grace period), DELAY (a lease break is in progress
 * and the caller chose not to wait), DEADLK (a blocking request would close a
 * wait-for cycle).
 */
import type { FileId } from '../types.js';

/** The protocols that own locks. 'local' is for in-process users and tests. */
export type LockProtocol = 'nlm' | 'nfs4' | 'smb' | 'local';

/**
 * Who holds a lock. Two owners are the same iff protocol, clientId and ownerId
 * are equal; `pid` is informational (NLM svid, reported back by TEST / F_GETLK)
 * and is taken from the most recent request of that owner.
 *
 * - NLM: clientId = caller_name (the NSM-monitored host), ownerId = the
 *   owner handle (`oh`, hex) + svid as the protocol sees fit.
 * - NFSv4: clientId = the client id, ownerId = the lock-owner / open-owner.
 * - SMB: clientId = the session/client GUID, ownerId = the open (file id).
 */
export interface LockOwner {
  readonly protocol: LockProtocol;
  readonly clientId: string;
  readonly ownerId: string;
  readonly pid?: number;
}

export type LockType = 'shared' | 'exclusive';

/**
 * A byte range. As input, `length` 0 or Infinity means "to end of file", and
 * an `offset + length` at or beyond 2^64 is clamped to end of file (NLM4 and
 * NFSv4 use 64-bit unsigned ranges). As output, "to end of file" is always
 * `length: Infinity` (protocols encode it as their own sentinel, e.g. 0 for NLM).
 */
export interface LockRange {
  readonly offset: number;
  readonly length: number;
}

/** Grace period length used when the configuration names none (Linux lockd's default). */
export const DEFAULT_GRACE_SECONDS = 90;

/** 2^64: offsets at or beyond this are end of file. */
export const LOCK_RANGE_LIMIT = 2 ** 64;

/** A byte-range lock as held, or the conflicting holder returned by test/lock. */
export interface HeldLock {
  readonly file: FileId;
  readonly owner: LockOwner;
  readonly range: LockRange;
  readonly type: LockType;
  /**
   * True when this "holder" is not a granted lock but an earlier queued
   * waiter that the request would overtake (see fairness in LockManager.lock).
   */
  readonly waiting?: boolean;
}

/**
 * How an owner's own locks combine.
 *
 * - 'posix' (NLM, NFSv4, fcntl; the default): a new lock replaces what the
 *   owner held over the range, same-type ranges merge, unlock splits; length
 *   0 is "to end of file".
 * - 'windows' (SMB2 LOCK, MS-FSA §2.1.5.8/§2.1.5.9): every lock is its own
 *   record (an owner may stack shared locks, and a shared lock on its own
 *   exclusive one); an exclusive request conflicts with the owner's own
 *   overlapping locks too; length 0 is an empty range that conflicts with
 *   nothing; unlocks must name a held lock exactly (`unlockExact`). Such
 *   locks are not persisted (SMB has no lock reclaim).
 *
 * Between different owners the rule is the same whatever the semantics:
 * overlapping ranges conflict when one is exclusive.
 */
export type LockSemantics = 'posix' | 'windows';

export interface LockRequest {
  readonly file: FileId;
  readonly owner: LockOwner;
  readonly type: LockType;
  readonly offset: number;
  /** 0 or Infinity = to end of file ('posix'); 0 = empty range ('windows'). */
  readonly length: number;
  /** Default 'posix'. */
  readonly semantics?: LockSemantics;
}

export interface LockOptions {
  /**
   * Queue the request when it conflicts (F_SETLKW, NLM block=true). When
   * false a conflict is answered with `denied` at once.
   */
  readonly wait: boolean;
  /**
   * A reclaim of a lock held before the server restarted (NLM reclaim=true,
   * NFSv4 CLAIM_PREVIOUS / reclaim LOCK). Only reclaims are granted during the
   * grace period; outside grace the flag is ignored (a protocol that must
   * refuse late reclaims, e.g. NFSv4 NO_GRACE, checks `inGrace` first).
   */
  readonly reclaim?: boolean;
}

/** Why a waiter's promise settled without a grant. */
export type WaiterEndReason = 'cancelled' | 'released' | 'closed';

export type WaiterOutcome =
  { readonly granted: true; readonly lock: HeldLock } | { readonly granted: false; readonly reason: WaiterEndReason };

/** A queued blocking lock request. */
export interface LockWaiter {
  /** Unique within the manager, for protocol bookkeeping (e.g. NLM cookies). */
  readonly id: number;
  readonly request: LockRequest;
  /**
   * Settles once: granted (the lock is already held when this resolves, and the
   * protocol's `onGranted` has been called first), or not granted with a
   * reason. Never rejects.
   */
  readonly outcome: Promise<WaiterOutcome>;
  /** Remove from the queue. False when it was already granted or ended. */
  cancel(): boolean;
}

export type LockResult =
  | { readonly status: 'granted'; readonly lock: HeldLock }
  | { readonly status: 'denied'; readonly conflict: HeldLock }
  | { readonly status: 'blocked'; readonly waiter: LockWaiter };

/** Access and deny bits of a share reservation (SMB share access, NFSv4 deny modes). */
export interface ShareModes {
  readonly read: boolean;
  readonly write: boolean;
  readonly delete?: boolean;
}

export interface OpenRequest {
  readonly file: FileId;
  readonly owner: LockOwner;
  /** What this open may do. */
  readonly access: ShareModes;
  /** What this open forbids others to do. */
  readonly deny: ShareModes;
}

/** A granted share reservation. */
export interface OpenRecord extends OpenRequest {
  /** Unique within the manager; pass to `closeOpen`. */
  readonly id: number;
  /** Opened with {@link OpenOptions.transient}: not persisted. */
  readonly transient?: boolean;
}

export interface OpenOptions {
  /** Wait for lease breaks instead of failing with DELAY. Share conflicts never wait. */
  readonly wait?: boolean;
  readonly reclaim?: boolean;
  /**
   * State that dies with its connection and is never reclaimed (SMB opens
   * without durable handles): not persisted, and during the grace period
   * granted unless it conflicts with pre-restart state not yet reclaimed.
   */
  readonly transient?: boolean;
}

export type OpenResult =
  { readonly status: 'ok'; readonly open: OpenRecord } | { readonly status: 'conflict'; readonly conflict: OpenRecord };

/** Lease kind bits (SMB2 lease state R/W/H; NFSv4 read delegation = R, write = R|W). */
export const LEASE_READ = 1;
export const LEASE_WRITE = 2;
export const LEASE_HANDLE = 4;
/** A bitset of LEASE_READ | LEASE_WRITE | LEASE_HANDLE. 0 = none. */
export type LeaseKinds = number;

export interface LeaseRequest {
  readonly file: FileId;
  readonly owner: LockOwner;
  /**
   * The lease key (SMB2 lease key, NFSv4 delegation stateid other, ...).
   * A lease is identified by (owner.protocol, owner.clientId, key); acquiring
   * again with the same identity upgrades/changes that lease.
   */
  readonly key: string;
  readonly kinds: LeaseKinds;
}

export interface Lease {
  readonly file: FileId;
  readonly owner: LockOwner;
  readonly key: string;
  readonly kinds: LeaseKinds;
  /** While a break is outstanding: the kinds the holder must go down to. */
  readonly breakingTo?: LeaseKinds;
}

export interface LeaseOptions {
  /** Wait for breaks of other clients' leases instead of failing with DELAY. */
  readonly wait?: boolean;
  /** As {@link OpenOptions.transient}: an SMB lease, never persisted nor reclaimed. */
  readonly transient?: boolean;
  /** Do not break conflicting leases: answer `denied` instead (SMB grants a lesser lease). */
  readonly noBreak?: boolean;
  readonly reclaim?: boolean;
}

/** What an access without an open does to other clients' leases (LockManager.breakLeases). */
export type LeaseBreakAccess = 'read' | 'write' | 'namespace';

export interface BreakLeasesOptions {
  readonly owner?: LockOwner;
  /** How long to wait for the holders (ms); past it the call throws DELAY while the breaks go on. */
  readonly waitMs?: number;
}

/** What a lease request conflicted with (a lease, an open or a byte-range lock). */
export type LeaseConflict =
  | { readonly kind: 'lease'; readonly lease: Lease }
  | { readonly kind: 'open'; readonly open: OpenRecord }
  | { readonly kind: 'lock'; readonly lock: HeldLock };

export type LeaseResult =
  | { readonly status: 'granted'; readonly lease: Lease }
  | { readonly status: 'denied'; readonly conflict: LeaseConflict };

/**
 * Callbacks of one protocol. Called synchronously from inside the manager;
 * they must not throw (exceptions are logged and ignored) and should start
 * their network work asynchronously.
 */
export interface ProtocolCallbacks {
  /**
   * A queued lock was granted: the lock is already held. The protocol tells
   * its client (NLM_GRANTED). If the client cannot be told or refuses the
   * grant, the protocol calls `unlock` to give the lock back.
   */
  onGranted?(waiter: LockWaiter, lock: HeldLock): void;
  /**
   * A lease must be broken to `lease.breakingTo`. The holder answers with
   * `downgradeLease` / `releaseLease`; without an answer within the break
   * timeout the manager revokes the lease (and calls `onRevoked`).
   */
  onBreak?(lease: Lease): void;
  /** A lease was revoked because its break timed out. */
  onRevoked?(lease: Lease): void;
}

/** Everything one client holds, for tracking and admin tooling. */
export interface ClientHoldings {
  readonly locks: HeldLock[];
  readonly opens: OpenRecord[];
  readonly leases: Lease[];
  readonly waiters: LockWaiter[];
}

/** Figures for metrics (the runtime exports them through prom-client). */
export interface LockStats {
  /** Granted byte-range lock records (after merging). */
  readonly locks: number;
  readonly waiters: number;
  readonly opens: number;
  readonly leases: number;
  /** Leases with an outstanding break. */
  readonly breaking: number;
  readonly inGrace: boolean;
  /** Milliseconds until grace ends, 0 outside grace. */
  readonly graceRemainingMs: number;
  /** Locks/opens/leases held before the restart and not (yet) reclaimed. */
  readonly unreclaimed: number;
  /** Counters since start: requests that hit a deadlock, breaks started, leases revoked. */
  readonly deadlocks: number;
  readonly breaksStarted: number;
  readonly revoked: number;
}

export interface LockManagerOptions {
  /**
   * Where lock state is persisted (state records `locks/...` in update
   * transactions). Absent = ephemeral (nothing survives a restart).
   */
  readonly store?: import('../../storage/metadata/store.js').MetadataStore;
  /** How long a lease holder has to answer a break before it is revoked (default 35000 ms). */
  readonly breakTimeoutMs?: number;
  readonly logger?: import('../../observability/logger.js').Logger;
}

export interface LockManager {
  /**
   * Set (or replace) callbacks of one protocol. Callbacks not named keep
   * their earlier registration, so several parts of one protocol (SMB2 LOCK,
   * SMB leases) can each register their own.
   */
  registerProtocol(protocol: LockProtocol, callbacks: ProtocolCallbacks): void;

  /**
   * Restore persisted state as "held before restart": it is not enforced, but
   * reclaims matching it are granted during grace. Call once, before serving,
   * then `startGrace`.
   */
  load(): Promise<void>;

  // --- byte-range locks -------------------------------------------------

  /**
   * The first lock (held, or queued ahead — see `lock`) that would conflict
   * with `type` over `range` for `owner`, or undefined. Throws GRACE during
   * grace (the answer could be wrong until reclaims are in).
   */
  test(file: FileId, owner: LockOwner, range: LockRange, type: LockType): HeldLock | undefined;

  /**
   * Take a byte-range lock. Fairness policy (FIFO per file): a request is
   * granted at once only if it conflicts neither with a held lock nor with an
   * earlier queued waiter of another owner, so a stream of shared requests
   * cannot starve a queued exclusive one; queued waiters are granted in
   * arrival order as conflicts go away, a waiter never overtaking an earlier
   * one it conflicts with (disjoint waiters proceed independently).
   *
   * Non-waiting conflicts → `denied` with the conflicting holder. Waiting
   * conflicts → `blocked` with a waiter, unless queuing would create a
   * wait-for cycle across owners and files → throws FsError DEADLK. A repeated
   * identical blocking request (same owner, file, range, type; e.g. an NLM
   * retransmission) returns the existing waiter.
   *
   * Leases of other clients that conflict are broken first (waiting, or
   * throwing DELAY when `wait` is false). During grace only reclaims covered
   * by a lock the same owner (or, failing that, the same client) held before
   * the restart are granted; every other request throws GRACE, including a
   * reclaim that matches nothing (the client retries; after grace it is an
   * ordinary request). Resolves after the new state is persisted.
   */
  lock(request: LockRequest, options: LockOptions): Promise<LockResult>;

  /** Release `owner`'s locks over `range` (splitting); wakes waiters. Never throws for unheld ranges. */
  unlock(file: FileId, owner: LockOwner, range: LockRange): Promise<void>;

  /**
   * Windows-semantics unlock (MS-FSA §2.1.5.9): remove one lock of `owner`
   * with exactly this offset and length (length 0 = the empty range), an
   * exclusive one first; wakes waiters. False when no such lock is held
   * (SMB: STATUS_RANGE_NOT_LOCKED).
   */
  unlockExact(file: FileId, owner: LockOwner, range: LockRange): Promise<boolean>;

  /**
   * Mandatory-locking check of a read or write by `owner` (MS-FSA §2.1.4.10,
   * SMB READ/WRITE): the first lock of any protocol that refuses it — another
   * owner's exclusive lock, or for a write any shared lock (the owner's own
   * too) — or undefined. Length 0 touches nothing; Infinity is to end of file.
   * Synchronous and one map lookup for a file without locks (it runs on every
   * I/O); unlike `test` it answers during grace, from the locks held now.
   */
  testIo(file: FileId, owner: LockOwner, range: LockRange, access: 'read' | 'write'): HeldLock | undefined;

  // --- share reservations -----------------------------------------------

  /**
   * Add a share reservation. It conflicts with any existing open (of any
   * owner, as SMB and NFSv4 specify) whose deny bits meet the new access or
   * whose access meets the new deny bits. When the conflicting opens belong to
   * a client holding a HANDLE lease, that lease is broken first (so it can
   * close cached handles) and the check repeated.
   */
  open(request: OpenRequest, options?: OpenOptions): Promise<OpenResult>;
  /** Remove a share reservation by id; false when unknown. */
  closeOpen(openId: number): Promise<boolean>;
  /** The opens of `owner` on `file` (NLM UNSHARE finds its reservation this way). */
  findOpens(file: FileId, owner: LockOwner): OpenRecord[];

  // --- leases ---------------------------------------------------------

  /**
   * Acquire or change a lease. Conflicts with other clients (by protocol +
   * clientId): a WRITE request conflicts with their READ/WRITE leases, a READ
   * request with their WRITE leases (those are broken, unless `noBreak`);
   * a WRITE lease is denied while another client has the file open or holds a
   * byte-range lock; a READ lease is denied while another client has it open
   * for write or holds an exclusive byte-range lock.
   *
   * Byte-range locks and opens from other clients break leases in turn:
   * an exclusive lock, or an open with write/delete access, breaks READ and
   * WRITE; a shared lock or a read-only open breaks WRITE.
   */
  acquireLease(request: LeaseRequest, options?: LeaseOptions): Promise<LeaseResult>;
  /**
   * Break other clients' leases that an access conflicts with, taking no
   * state: for protocols without opens (NFSv3 WRITE, SETATTR of the size,
   * REMOVE, RENAME; as knfsd calls break_lease). 'read' breaks W, 'write'
   * breaks R and W, 'namespace' (the name is removed or replaced) breaks W and
   * H. Leases of `options.owner`'s client are left alone (no owner: all).
   * Resolves once no such lease is left; throws DELAY when that takes longer
   * than `options.waitMs` (default: wait as long as the break timeout; 0:
   * start the breaks and throw DELAY at once unless there were none).
   */
  breakLeases(file: FileId, access: LeaseBreakAccess, options?: BreakLeasesOptions): Promise<void>;
  /**
   * Whether a lease is held on `file` (on any file when absent): one map
   * lookup, the guard before `breakLeases` on hot paths (NFSv3 READ/WRITE).
   */
  hasLeases(file?: FileId): boolean;
  /** The holder's answer to a break (or a voluntary downgrade): keep only `kinds`. 0 releases. */
  downgradeLease(owner: LockOwner, key: string, kinds: LeaseKinds): Promise<void>;
  releaseLease(owner: LockOwner, key: string): Promise<void>;
  getLease(owner: LockOwner, key: string): Lease | undefined;

  // --- clients and owners -------------------------------------------------

  /**
   * Drop everything held by a client (NSM reboot notification, NLM FREE_ALL,
   * NFSv4 lease expiry, SMB session loss): locks, opens, leases, queued
   * waiters (they end with reason 'released') and unreclaimed pre-restart
   * state. Waiters of other clients are woken.
   */
  releaseClient(protocol: LockProtocol, clientId: string): Promise<void>;
  /** Drop every lock, open and waiter of one owner (on all files). */
  releaseOwner(owner: LockOwner): Promise<void>;
  /** What one client holds. */
  clientHoldings(protocol: LockProtocol, clientId: string): ClientHoldings;
  /** Every client with current state. */
  clients(): Array<{ protocol: LockProtocol; clientId: string }>;

  // --- grace period -----------------------------------------------------

  /**
   * Enter the grace period for `seconds`. It ends when the time is up, when
   * `endGrace` is called, or early once every piece of pre-restart state has
   * been reclaimed or given up (`reclaimComplete`). When it ends, unreclaimed
   * pre-restart state is dropped.
   */
  startGrace(seconds: number): void;
  endGrace(): Promise<void>;
  /** A client says it has reclaimed everything (NFSv4.1 RECLAIM_COMPLETE): drop its leftovers. */
  reclaimComplete(protocol: LockProtocol, clientId: string): Promise<void>;
  readonly inGrace: boolean;

  // --- observability and lifecycle --------------------------------------

  stats(): LockStats;
  /** Wait until every state change so far is persisted. */
  flush(): Promise<void>;
  /** Clear timers, end waiters with reason 'closed', flush. */
  close(): Promise<void>;
}
