import { FsError } from '../errors.js';
import type { FileId } from '../types.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import type { MetadataStore } from '../../storage/metadata/store.js';
import {
  LEASE_HANDLE,
  LEASE_READ,
  LEASE_WRITE,
  type BreakLeasesOptions,
  type ClientHoldings,
  type HeldLock,
  type Lease,
  type LeaseBreakAccess,
  type LeaseConflict,
  type LeaseKinds,
  type LeaseOptions,
  type LeaseRequest,
  type LeaseResult,
  type LockManager,
  type LockManagerOptions,
  type LockOptions,
  type LockOwner,
  type LockProtocol,
  type LockRange,
  type LockRequest,
  type LockResult,
  type LockStats,
  type LockType,
  type OpenOptions,
  type OpenRecord,
  type OpenRequest,
  type OpenResult,
  type ProtocolCallbacks,
  type ShareModes,
  type WaiterEndReason,
} from './api.js';
import { keepForAccess, keepForLease, keepForLock, keepForOpen, NO_HANDLE } from './lease-rules.js';
import { clientKey, copyOwner, ownerClientKey, ownerKey, sameClient, sameOwner } from './owners.js';
import { loadAll, StateWriter, type FileRecord, type PersistedLease, type PersistedOpen } from './persistence.js';
import {
  addWindowsLock,
  applyLock,
  carve,
  conflicts,
  conflictsWith,
  covers,
  ioConflicts,
  normalizeRange,
  normalizeWindowsRange,
  removeExact,
  toLockRange,
  type RangeLock,
} from './ranges.js';
import { copyModes, shareConflict } from './share-modes.js';
import { Waiter } from './waiter.js';

/** RFC 5661 §10.2 suggests a recall allowance of about a lease period; SMB's break timeout is 35 s (MS-SMB2 §3.3.2.5). */
const DEFAULT_BREAK_TIMEOUT_MS = 35_000;

interface LeaseRec {
  readonly file: FileId;
  owner: LockOwner;
  readonly key: string;
  /** Acquired with LeaseOptions.transient: not persisted. */
  transient: boolean;
  kinds: LeaseKinds;
  breakingTo: LeaseKinds | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Settled when the outstanding break is over (answered, revoked or released). */
  breakDone: Promise<void> | undefined;
  endBreak: (() => void) | undefined;
}

interface FileState {
  locks: RangeLock[];
  /** FIFO queue of blocked requests (see LockManager.lock for the fairness policy). */
  waiters: Waiter[];
  opens: OpenRecord[];
  leases: LeaseRec[];
}

/** State held before the restart, reclaimable during grace. */
interface OldState {
  locks: RangeLock[];
  opens: PersistedOpen[];
  leases: PersistedLease[];
}

/**
 * The unified lock manager (see api.ts for the contract). Decisions are
 * taken synchronously on in-memory state, so no two requests interleave
 * between a conflict check and the grant; only lease breaks (which wait for
 * the holder) and persistence are asynchronous. After a change the file's
 * record is written through {@link StateWriter} and the call resolves when
 * it is durable.
 */
export class UnifiedLockManager implements LockManager {
  private readonly files = new Map<FileId, FileState>();
  private readonly old = new Map<FileId, OldState>();
  private readonly leases = new Map<string, LeaseRec>();
  private readonly openById = new Map<number, OpenRecord>();
  private readonly waitersByOwner = new Map<string, Set<Waiter>>();
  private readonly callbacks = new Map<LockProtocol, ProtocolCallbacks>();
  private readonly store: MetadataStore | undefined;
  private readonly writer: StateWriter | undefined;
  private readonly log: Logger;
  private readonly breakTimeoutMs: number;
  private nextId = 1;
  private loaded = false;
  private closed = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private graceEndsAt = 0;
  private grace = false;
  private counters = { deadlocks: 0, breaksStarted: 0, revoked: 0 };

  constructor(opts: LockManagerOptions = {}) {
    this.log = opts.logger ?? silentLogger;
    this.breakTimeoutMs = opts.breakTimeoutMs ?? DEFAULT_BREAK_TIMEOUT_MS;
    const store = opts.store;
    this.store = store;
    this.writer = store
      ? new StateWriter(
          store,
          (f) => this.snapshot(f),
          (err) => this.log.error({ err }, 'lock state not persisted; retried on next change'),
        )
      : undefined;
  }

  registerProtocol(protocol: LockProtocol, callbacks: ProtocolCallbacks): void {
    // Merged: one protocol's parts (e.g. SMB2 LOCK's onGranted, SMB leases' onBreak) register separately.
    this.callbacks.set(protocol, { ...this.callbacks.get(protocol), ...callbacks });
  }

  async load(): Promise<void> {
    if (!this.store || !this.writer) return;
    const records = await loadAll(this.store);
    this.writer.seed(records.keys());
    for (const [file, rec] of records) {
      this.old.set(file, { locks: rec.locks, opens: rec.opens, leases: rec.leases });
    }
    this.loaded = true;
    this.log.info({ files: records.size, unreclaimed: this.unreclaimedCount() }, 'lock state restored for reclaim');
  }

  // --- byte-range locks ---------------------------------------------------

  test(file: FileId, owner: LockOwner, range: LockRange, type: LockType): HeldLock | undefined {
    this.assertOpen();
    if (this.grace) throw new FsError('GRACE', 'grace period: locks are being reclaimed');
    const { start, end } = normalizeRange(range.offset, range.length);
    const fs = this.files.get(file);
    return fs ? this.findConflict(file, fs, owner, start, end, type, fs.waiters.length) : undefined;
  }

  async lock(request: LockRequest, options: LockOptions): Promise<LockResult> {
    this.assertOpen();
    const windows = request.semantics === 'windows';
    const { start, end } = windows
      ? normalizeWindowsRange(request.offset, request.length)
      : normalizeRange(request.offset, request.length);
    const owner = copyOwner(request.owner);
    const req: LockRequest = Object.freeze({
      file: request.file,
      owner,
      type: request.type,
      offset: start,
      length: request.length,
      ...(windows ? { semantics: 'windows' as const } : {}),
    });
    // Windows-semantics (SMB) locks are never persisted nor reclaimed: during
    // grace they only have to keep clear of what is still to be reclaimed.
    const transient = windows;
    const reclaiming = this.grace && !transient;
    if (reclaiming) this.checkLockReclaim(req.file, owner, start, end, req.type, options.reclaim === true);
    if (transient && this.grace) this.checkTransientLock(req.file, owner, start, end, req.type);

    if (!options.wait) {
      // A request that will be refused anyway must not break anybody's lease.
      const fs0 = this.files.get(req.file);
      const early = fs0 && this.findConflict(req.file, fs0, owner, start, end, req.type, fs0.waiters.length, windows);
      if (early) return { status: 'denied', conflict: early };
    }
    await this.breakConflicting(req.file, owner, keepForLock(req.type), options.wait);
    if (!transient && reclaiming !== this.grace) this.assertNotGrace(options.reclaim === true);

    const fs = this.fileState(req.file);
    // Windows-semantics requests stack, so an identical one is a new request, not a retransmission.
    const same =
      !windows &&
      fs.waiters.find(
        (w) => sameOwner(w.request.owner, owner) && w.start === start && w.end === end && w.request.type === req.type,
      );
    if (same && options.wait) return { status: 'blocked', waiter: same };

    const conflict = this.findConflict(req.file, fs, owner, start, end, req.type, fs.waiters.length, windows);
    if (!conflict) {
      const lock = this.grantLock(req.file, fs, owner, start, end, req.type, windows);
      if (reclaiming && this.grace) this.consumeOldLock(req.file, owner, start, end);
      await this.persist();
      return { status: 'granted', lock };
    }
    // Reclaims never queue: during grace nothing else can be granted, so a
    // conflicting reclaim would wait forever.
    if (!options.wait || this.grace) {
      this.dropIfEmpty(req.file, fs);
      return { status: 'denied', conflict };
    }
    if (this.wouldDeadlock(owner, fs, start, end, req.type)) {
      this.counters.deadlocks++;
      this.dropIfEmpty(req.file, fs);
      throw new FsError('DEADLK', 'lock request would deadlock');
    }
    const waiter = new Waiter(this.nextId++, req, start, end, (w) => this.cancelWaiter(w));
    fs.waiters.push(waiter);
    const key = ownerKey(owner);
    let set = this.waitersByOwner.get(key);
    if (!set) this.waitersByOwner.set(key, (set = new Set()));
    set.add(waiter);
    return { status: 'blocked', waiter };
  }

  async unlock(file: FileId, owner: LockOwner, range: LockRange): Promise<void> {
    this.assertOpen();
    const { start, end } = normalizeRange(range.offset, range.length);
    const fs = this.files.get(file);
    if (fs) {
      const before = fs.locks.length;
      const next = carve(fs.locks, owner, start, end);
      const changed = next.length !== before || next.some((l, i) => l !== fs.locks[i]);
      if (changed) {
        fs.locks = next;
        this.markDirty(file);
        this.wake(file);
      }
    }
    await this.persist();
  }

  async unlockExact(file: FileId, owner: LockOwner, range: LockRange): Promise<boolean> {
    this.assertOpen();
    const { start, end } = normalizeWindowsRange(range.offset, range.length);
    const fs = this.files.get(file);
    const next = fs && removeExact(fs.locks, owner, start, end);
    if (!fs || !next) return false;
    // Only a POSIX record's removal changes what is persisted.
    if (fs.locks.some((l) => l.windows !== true && !next.includes(l))) this.markDirty(file);
    fs.locks = next;
    this.wake(file);
    await this.persist();
    return true;
  }

  testIo(file: FileId, owner: LockOwner, range: LockRange, access: 'read' | 'write'): HeldLock | undefined {
    // The hot path of every SMB READ/WRITE: one map lookup when the file has no locks.
    const fs = this.files.get(file);
    if (fs === undefined || fs.locks.length === 0 || range.length === 0) return undefined;
    const start = range.offset;
    const end = range.length === Infinity ? Infinity : range.offset + range.length;
    const write = access === 'write';
    for (const l of fs.locks) if (ioConflicts(l, owner, start, end, write)) return heldView(file, l);
    return undefined;
  }

  // --- share reservations ----------------------------------------------------

  async open(request: OpenRequest, options: OpenOptions = {}): Promise<OpenResult> {
    this.assertOpen();
    const owner = copyOwner(request.owner);
    const access = copyModes(request.access);
    const deny = copyModes(request.deny);
    const transient = options.transient === true;
    const reclaiming = this.grace && !transient;
    if (reclaiming) this.checkOpenReclaim(request.file, owner, options.reclaim === true);
    if (transient && this.grace) this.checkTransientOpen(request.file, access, deny);
    for (;;) {
      const fs = this.fileState(request.file);
      const conflict = fs.opens.find((o) => shareConflict(o, { access, deny }));
      if (conflict) {
        // A client caching handles under a HANDLE lease may hold the
        // conflicting open only because of that cache: ask it to let go
        // (MS-SMB2 §3.3.5.9: sharing violation → break Handle caching).
        const cached = fs.leases.filter(
          (l) => (l.kinds & LEASE_HANDLE) !== 0 && !sameClient(l.owner, owner) && sameClient(l.owner, conflict.owner),
        );
        if (cached.length === 0) {
          this.dropIfEmpty(request.file, fs);
          return { status: 'conflict', conflict };
        }
        await this.awaitBreaks(
          cached.map((l) => this.startBreak(l, l.kinds & NO_HANDLE)),
          options.wait === true,
        );
        continue;
      }
      const toBreak = this.leasesToBreak(fs, owner, keepForOpen(access));
      if (toBreak.length > 0) {
        await this.awaitBreaks(
          toBreak.map(([l, to]) => this.startBreak(l, to)),
          options.wait === true,
        );
        continue;
      }
      if (!transient && reclaiming !== this.grace) this.assertNotGrace(options.reclaim === true);
      const open: OpenRecord = Object.freeze({
        id: this.nextId++,
        file: request.file,
        owner,
        access,
        deny,
        ...(transient ? { transient: true } : {}),
      });
      fs.opens.push(open);
      this.openById.set(open.id, open);
      if (reclaiming && this.grace) this.consumeOldOpen(request.file, owner);
      this.markDirty(request.file);
      await this.persist();
      return { status: 'ok', open };
    }
  }

  async closeOpen(openId: number): Promise<boolean> {
    this.assertOpen();
    const open = this.openById.get(openId);
    if (!open) return false;
    this.removeOpen(open);
    this.wake(open.file);
    await this.persist();
    return true;
  }

  findOpens(file: FileId, owner: LockOwner): OpenRecord[] {
    return (this.files.get(file)?.opens ?? []).filter((o) => sameOwner(o.owner, owner));
  }

  // --- leases ------------------------------------------------------------------

  async acquireLease(request: LeaseRequest, options: LeaseOptions = {}): Promise<LeaseResult> {
    this.assertOpen();
    if (!Number.isInteger(request.kinds) || request.kinds < 0 || request.kinds > 7) {
      throw new FsError('INVAL', `bad lease kinds ${request.kinds}`);
    }
    const owner = copyOwner(request.owner);
    const id = leaseId(owner, request.key);
    const transient = options.transient === true;
    const reclaiming = this.grace && !transient;
    if (reclaiming) this.checkLeaseReclaim(request.file, owner, request.key, options.reclaim === true);
    if (transient && this.grace && (this.old.get(request.file)?.leases.length ?? 0) > 0) {
      throw new FsError('GRACE', 'grace period: leases on this file are being reclaimed');
    }
    for (;;) {
      const existing = this.leases.get(id);
      if (existing && existing.file !== request.file) {
        throw new FsError('INVAL', 'lease key already used for another file');
      }
      if (existing?.breakingTo !== undefined && (request.kinds & ~existing.breakingTo) !== 0) {
        return { status: 'denied', conflict: { kind: 'lease', lease: leaseView(existing) } };
      }
      const fs = this.fileState(request.file);
      const blocker = this.leaseBlocker(request.file, fs, owner, request.kinds);
      if (blocker) {
        this.dropIfEmpty(request.file, fs);
        return { status: 'denied', conflict: blocker };
      }
      const toBreak = this.leasesToBreak(fs, owner, keepForLease(request.kinds));
      if (toBreak.length > 0) {
        if (options.noBreak === true) {
          return { status: 'denied', conflict: { kind: 'lease', lease: leaseView(toBreak[0]![0]) } };
        }
        await this.awaitBreaks(
          toBreak.map(([l, to]) => this.startBreak(l, to)),
          options.wait === true,
        );
        continue;
      }
      if (!transient && reclaiming !== this.grace) this.assertNotGrace(options.reclaim === true);
      let rec = existing;
      if (rec) {
        rec.kinds = request.kinds;
        rec.owner = owner;
        rec.transient = transient;
      } else {
        rec = {
          file: request.file,
          owner,
          key: request.key,
          transient,
          kinds: request.kinds,
          breakingTo: undefined,
          timer: undefined,
          breakDone: undefined,
          endBreak: undefined,
        };
        this.leases.set(id, rec);
        fs.leases.push(rec);
      }
      if (reclaiming && this.grace) this.consumeOldLease(request.file, owner, request.key);
      this.markDirty(request.file);
      await this.persist();
      return { status: 'granted', lease: leaseView(rec) };
    }
  }

  hasLeases(file?: FileId): boolean {
    if (file === undefined) return this.leases.size > 0;
    const fs = this.files.get(file);
    return fs !== undefined && fs.leases.length > 0;
  }

  async breakLeases(file: FileId, access: LeaseBreakAccess, options: BreakLeasesOptions = {}): Promise<void> {
    this.assertOpen();
    const keep = keepForAccess(access);
    const deadline = Date.now() + (options.waitMs ?? Infinity);
    for (;;) {
      const fs = this.files.get(file);
      if (!fs) return;
      const toBreak = this.leasesToBreak(fs, options.owner, keep);
      if (toBreak.length === 0) return;
      const done = Promise.all(toBreak.map(([l, to]) => this.startBreak(l, to)));
      const left = deadline - Date.now();
      if (left <= 0 || !(await settlesWithin(done, left))) {
        throw new FsError('DELAY', 'lease break in progress');
      }
      this.assertOpen();
    }
  }

  async downgradeLease(owner: LockOwner, key: string, kinds: LeaseKinds): Promise<void> {
    this.assertOpen();
    const rec = this.leases.get(leaseId(owner, key));
    if (!rec) throw new FsError('INVAL', 'no such lease');
    if ((kinds & ~rec.kinds) !== 0) throw new FsError('INVAL', 'a downgrade cannot add lease kinds');
    if (kinds === 0) {
      this.removeLease(rec);
    } else {
      rec.kinds = kinds;
      if (rec.breakingTo !== undefined && (kinds & ~rec.breakingTo) === 0) this.finishBreak(rec);
    }
    this.markDirty(rec.file);
    this.wake(rec.file);
    await this.persist();
  }

  releaseLease(owner: LockOwner, key: string): Promise<void> {
    return this.downgradeLease(owner, key, 0);
  }

  getLease(owner: LockOwner, key: string): Lease | undefined {
    const rec = this.leases.get(leaseId(owner, key));
    return rec ? leaseView(rec) : undefined;
  }

  // --- clients and owners ----------------------------------------------------

  async releaseClient(protocol: LockProtocol, clientId: string): Promise<void> {
    this.assertOpen();
    const key = clientKey(protocol, clientId);
    this.releaseWhere((o) => ownerClientKey(o) === key, 'released');
    let changedOld = false;
    for (const [file, old] of this.old) {
      const keep = (o: { owner: LockOwner }): boolean => ownerClientKey(o.owner) !== key;
      const next: OldState = {
        locks: old.locks.filter(keep),
        opens: old.opens.filter(keep),
        leases: old.leases.filter(keep),
      };
      if (
        next.locks.length + next.opens.length + next.leases.length !==
        old.locks.length + old.opens.length + old.leases.length
      ) {
        changedOld = true;
        this.setOld(file, next);
      }
    }
    if (changedOld) this.maybeEndGraceEarly();
    await this.persist();
  }

  async releaseOwner(owner: LockOwner): Promise<void> {
    this.assertOpen();
    this.releaseWhere((o) => sameOwner(o, owner), 'released');
    await this.persist();
  }

  clientHoldings(protocol: LockProtocol, clientId: string): ClientHoldings {
    const key = clientKey(protocol, clientId);
    const mine = (o: LockOwner): boolean => ownerClientKey(o) === key;
    const out: ClientHoldings = { locks: [], opens: [], leases: [], waiters: [] };
    for (const [file, fs] of this.files) {
      for (const l of fs.locks) if (mine(l.owner)) out.locks.push(heldView(file, l));
      for (const o of fs.opens) if (mine(o.owner)) out.opens.push(o);
      for (const l of fs.leases) if (mine(l.owner)) out.leases.push(leaseView(l));
      for (const w of fs.waiters) if (mine(w.request.owner)) out.waiters.push(w);
    }
    return out;
  }

  clients(): Array<{ protocol: LockProtocol; clientId: string }> {
    const seen = new Map<string, { protocol: LockProtocol; clientId: string }>();
    const add = (o: LockOwner): void => {
      const k = ownerClientKey(o);
      if (!seen.has(k)) seen.set(k, { protocol: o.protocol, clientId: o.clientId });
    };
    for (const fs of this.files.values()) {
      for (const l of fs.locks) add(l.owner);
      for (const o of fs.opens) add(o.owner);
      for (const l of fs.leases) add(l.owner);
      for (const w of fs.waiters) add(w.request.owner);
    }
    return [...seen.values()];
  }

  // --- grace period -----------------------------------------------------------

  get inGrace(): boolean {
    return this.grace;
  }

  startGrace(seconds: number): void {
    this.assertOpen();
    if (!(seconds >= 0)) throw new FsError('INVAL', `bad grace period ${seconds}`);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.grace = true;
    this.graceEndsAt = Date.now() + seconds * 1000;
    this.log.info({ seconds, unreclaimed: this.unreclaimedCount() }, 'grace period started');
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      void this.endGrace();
    }, seconds * 1000);
    this.graceTimer.unref();
    this.maybeEndGraceEarly();
  }

  async endGrace(): Promise<void> {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    const wasInGrace = this.grace;
    this.grace = false;
    this.graceEndsAt = 0;
    const dropped = this.unreclaimedCount();
    for (const file of this.old.keys()) this.markDirty(file);
    this.old.clear();
    if (wasInGrace) this.log.info({ dropped }, 'grace period ended; unreclaimed state dropped');
    if (!this.closed) await this.persist();
  }

  async reclaimComplete(protocol: LockProtocol, clientId: string): Promise<void> {
    const key = clientKey(protocol, clientId);
    for (const [file, old] of this.old) {
      const keep = (o: { owner: LockOwner }): boolean => ownerClientKey(o.owner) !== key;
      this.setOld(file, {
        locks: old.locks.filter(keep),
        opens: old.opens.filter(keep),
        leases: old.leases.filter(keep),
      });
    }
    this.maybeEndGraceEarly();
    await this.persist();
  }

  // --- observability and lifecycle --------------------------------------------

  stats(): LockStats {
    let locks = 0;
    let waiters = 0;
    let opens = 0;
    for (const fs of this.files.values()) {
      locks += fs.locks.length;
      waiters += fs.waiters.length;
      opens += fs.opens.length;
    }
    let breaking = 0;
    for (const l of this.leases.values()) if (l.breakingTo !== undefined) breaking++;
    return {
      locks,
      waiters,
      opens,
      leases: this.leases.size,
      breaking,
      inGrace: this.grace,
      graceRemainingMs: this.grace ? Math.max(0, this.graceEndsAt - Date.now()) : 0,
      unreclaimed: this.unreclaimedCount(),
      ...this.counters,
    };
  }

  flush(): Promise<void> {
    return this.persist();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    for (const rec of this.leases.values()) {
      if (rec.timer) clearTimeout(rec.timer);
      rec.timer = undefined;
      rec.endBreak?.();
    }
    for (const fs of this.files.values()) {
      for (const w of fs.waiters) w.finish('closed');
      fs.waiters = [];
    }
    this.waitersByOwner.clear();
    await this.persist();
  }

  // --- internals: conflicts and queue -----------------------------------------

  private findConflict(
    file: FileId,
    fs: FileState,
    owner: LockOwner,
    start: number,
    end: number,
    type: LockType,
    queuedBefore: number,
    windows = false,
  ): HeldLock | undefined {
    for (const l of fs.locks) if (conflicts(l, owner, start, end, type, windows)) return heldView(file, l);
    // Fairness: an earlier queued request of another owner that this one
    // conflicts with goes first.
    for (let i = 0; i < queuedBefore && i < fs.waiters.length; i++) {
      const w = fs.waiters[i]!;
      if (conflictsWith(w.request.owner, w.start, w.end, w.request.type, owner, start, end, type)) {
        return {
          file,
          owner: w.request.owner,
          range: toLockRange(w.start, w.end),
          type: w.request.type,
          waiting: true,
        };
      }
    }
    return undefined;
  }

  private grantLock(
    file: FileId,
    fs: FileState,
    owner: LockOwner,
    start: number,
    end: number,
    type: LockType,
    windows = false,
  ): HeldLock {
    fs.locks = windows
      ? addWindowsLock(fs.locks, owner, start, end, type)
      : applyLock(fs.locks, owner, start, end, type);
    // Windows locks are not persisted: taking one writes nothing.
    if (!windows) this.markDirty(file);
    return Object.freeze({ file, owner, range: toLockRange(start, end), type });
  }

  /**
   * Grant queued requests that no longer conflict, in arrival order. A pass
   * repeats when a grant changed its owner's other ranges (a downgrade can
   * unblock an earlier waiter).
   */
  private wake(file: FileId): void {
    const fs = this.files.get(file);
    if (!fs) return;
    let granted = true;
    while (granted) {
      granted = false;
      for (let i = 0; i < fs.waiters.length;) {
        const w = fs.waiters[i]!;
        const { owner, type } = w.request;
        const windows = w.request.semantics === 'windows';
        if (this.findConflict(file, fs, owner, w.start, w.end, type, i, windows)) {
          i++;
          continue;
        }
        const toBreak = this.leasesToBreak(fs, owner, keepForLock(type));
        if (toBreak.length > 0) {
          // Stays queued (and keeps later conflicting waiters behind it);
          // the break's end wakes the file again.
          for (const [l, to] of toBreak) this.startBreak(l, to);
          i++;
          continue;
        }
        fs.waiters.splice(i, 1);
        this.forgetWaiter(w);
        const lock = this.grantLock(file, fs, owner, w.start, w.end, type, windows);
        granted = true;
        const cb = this.callbacks.get(owner.protocol);
        if (cb?.onGranted) this.safely(() => cb.onGranted!(w, lock), 'onGranted');
        w.grant(lock);
      }
    }
    if (granted) void this.persist();
    this.dropIfEmpty(file, fs);
  }

  private cancelWaiter(w: Waiter): void {
    const fs = this.files.get(w.request.file);
    if (fs) {
      const i = fs.waiters.indexOf(w);
      if (i >= 0) fs.waiters.splice(i, 1);
    }
    this.forgetWaiter(w);
    w.finish('cancelled');
    // Later waiters that only queued behind this one may go now.
    this.wake(w.request.file);
  }

  private forgetWaiter(w: Waiter): void {
    const key = ownerKey(w.request.owner);
    const set = this.waitersByOwner.get(key);
    if (set) {
      set.delete(w);
      if (set.size === 0) this.waitersByOwner.delete(key);
    }
  }

  /**
   * Owners a request (or a queued waiter at queue position `queuedBefore`)
   * waits for: holders of conflicting locks and earlier conflicting waiters.
   * A Windows-semantics request blocked by its own open's lock waits for
   * that open, not for another owner: no cycle, so it is not listed.
   */
  private blockers(
    fs: FileState,
    owner: LockOwner,
    start: number,
    end: number,
    type: LockType,
    queuedBefore: number,
  ): LockOwner[] {
    const out: LockOwner[] = [];
    for (const l of fs.locks) if (conflicts(l, owner, start, end, type)) out.push(l.owner);
    for (let i = 0; i < queuedBefore && i < fs.waiters.length; i++) {
      const w = fs.waiters[i]!;
      if (conflictsWith(w.request.owner, w.start, w.end, w.request.type, owner, start, end, type)) {
        out.push(w.request.owner);
      }
    }
    return out;
  }

  /**
   * Deadlock detection over the wait-for graph (owners → owners they wait for,
   * across all files): queuing `owner` behind its blockers closes a cycle iff
   * some blocker already (transitively) waits for `owner`.
   */
  private wouldDeadlock(owner: LockOwner, fs: FileState, start: number, end: number, type: LockType): boolean {
    const target = ownerKey(owner);
    const seen = new Set<string>();
    const stack = this.blockers(fs, owner, start, end, type, fs.waiters.length);
    while (stack.length > 0) {
      const o = stack.pop()!;
      const k = ownerKey(o);
      if (k === target) return true;
      if (seen.has(k)) continue;
      seen.add(k);
      for (const w of this.waitersByOwner.get(k) ?? []) {
        const wfs = this.files.get(w.request.file);
        if (!wfs) continue;
        const at = wfs.waiters.indexOf(w);
        stack.push(...this.blockers(wfs, w.request.owner, w.start, w.end, w.request.type, at < 0 ? 0 : at));
      }
    }
    return false;
  }

  // --- internals: leases ---------------------------------------------------------

  /** Leases of other clients that must shrink to `keep`, with their targets. */
  private leasesToBreak(fs: FileState, owner: LockOwner | undefined, keep: LeaseKinds): Array<[LeaseRec, LeaseKinds]> {
    const out: Array<[LeaseRec, LeaseKinds]> = [];
    for (const l of fs.leases) {
      if (owner && sameClient(l.owner, owner)) continue;
      const target = l.kinds & keep;
      if (target !== l.kinds) out.push([l, target]);
    }
    return out;
  }

  /** What stops a lease from being granted outright (opens and locks cannot be broken). */
  private leaseBlocker(file: FileId, fs: FileState, owner: LockOwner, kinds: LeaseKinds): LeaseConflict | undefined {
    // RFC 7530 §10.4.1 / MS-SMB2 §3.3.5.9.8: no write caching while another
    // client has the file open or locked; no read caching while another
    // client may write. A HANDLE-only lease conflicts with nothing here.
    const wantsWrite = (kinds & LEASE_WRITE) !== 0;
    if ((kinds & (LEASE_READ | LEASE_WRITE)) === 0) return undefined;
    for (const o of fs.opens) {
      if (sameClient(o.owner, owner)) continue;
      if (wantsWrite || o.access.write || o.access.delete === true) return { kind: 'open', open: o };
    }
    for (const l of fs.locks) {
      if (sameClient(l.owner, owner)) continue;
      if (wantsWrite || l.type === 'exclusive') return { kind: 'lock', lock: heldView(file, l) };
    }
    return undefined;
  }

  /** Ask the holder to go down to `to`; returns the promise of the break's end. */
  private startBreak(rec: LeaseRec, to: LeaseKinds): Promise<void> {
    if (rec.breakingTo !== undefined) {
      const lower = rec.breakingTo & to;
      if (lower === rec.breakingTo) return rec.breakDone!;
      rec.breakingTo = lower;
    } else {
      rec.breakingTo = to;
      rec.breakDone = new Promise<void>((resolve) => {
        rec.endBreak = resolve;
      });
      rec.timer = setTimeout(() => this.revoke(rec), this.breakTimeoutMs);
      rec.timer.unref();
      this.counters.breaksStarted++;
    }
    const cb = this.callbacks.get(rec.owner.protocol);
    const view = leaseView(rec);
    if (cb?.onBreak) this.safely(() => cb.onBreak!(view), 'onBreak');
    return rec.breakDone!;
  }

  private async awaitBreaks(breaks: Array<Promise<void>>, wait: boolean): Promise<void> {
    if (!wait) throw new FsError('DELAY', 'lease break in progress');
    await Promise.all(breaks);
    this.assertOpen();
  }

  private async breakConflicting(file: FileId, owner: LockOwner, keep: LeaseKinds, wait: boolean): Promise<void> {
    for (;;) {
      const fs = this.files.get(file);
      if (!fs) return;
      const toBreak = this.leasesToBreak(fs, owner, keep);
      if (toBreak.length === 0) return;
      await this.awaitBreaks(
        toBreak.map(([l, to]) => this.startBreak(l, to)),
        wait,
      );
    }
  }

  private finishBreak(rec: LeaseRec): void {
    if (rec.timer) clearTimeout(rec.timer);
    rec.timer = undefined;
    rec.breakingTo = undefined;
    const end = rec.endBreak;
    rec.endBreak = undefined;
    rec.breakDone = undefined;
    end?.();
  }

  private revoke(rec: LeaseRec): void {
    rec.timer = undefined;
    if (this.leases.get(leaseId(rec.owner, rec.key)) !== rec) return;
    this.counters.revoked++;
    this.log.warn(
      { protocol: rec.owner.protocol, client: rec.owner.clientId, file: rec.file },
      'lease break timed out; revoked',
    );
    const view = leaseView(rec);
    this.removeLease(rec);
    const cb = this.callbacks.get(rec.owner.protocol);
    if (cb?.onRevoked) this.safely(() => cb.onRevoked!(view), 'onRevoked');
    this.wake(rec.file);
    void this.persist();
  }

  private removeLease(rec: LeaseRec): void {
    this.leases.delete(leaseId(rec.owner, rec.key));
    const fs = this.files.get(rec.file);
    if (fs) {
      fs.leases = fs.leases.filter((l) => l !== rec);
      this.dropIfEmpty(rec.file, fs);
    }
    this.finishBreak(rec);
    this.markDirty(rec.file);
  }

  private removeOpen(open: OpenRecord): void {
    this.openById.delete(open.id);
    const fs = this.files.get(open.file);
    if (fs) fs.opens = fs.opens.filter((o) => o !== open);
    this.markDirty(open.file);
  }

  /** Drop locks, opens, leases and waiters of matching owners on every file, then wake the files. */
  private releaseWhere(match: (o: LockOwner) => boolean, reason: WaiterEndReason): void {
    const touched: FileId[] = [];
    for (const [file, fs] of this.files) {
      let changed = false;
      const locks = fs.locks.filter((l) => !match(l.owner));
      if (locks.length !== fs.locks.length) {
        fs.locks = locks;
        changed = true;
      }
      for (const o of fs.opens.filter((x) => match(x.owner))) {
        this.removeOpen(o);
        changed = true;
      }
      for (const l of fs.leases.filter((x) => match(x.owner))) {
        this.removeLease(l);
        changed = true;
      }
      const gone = fs.waiters.filter((w) => match(w.request.owner));
      if (gone.length > 0) {
        fs.waiters = fs.waiters.filter((w) => !match(w.request.owner));
        for (const w of gone) {
          this.forgetWaiter(w);
          w.finish(reason);
        }
        changed = true;
      }
      if (changed) {
        this.markDirty(file);
        touched.push(file);
      }
    }
    for (const f of touched) this.wake(f);
  }

  // --- internals: grace and reclaim -----------------------------------------------

  private assertNotGrace(reclaim: boolean): void {
    if (this.grace && !reclaim) throw new FsError('GRACE', 'grace period: only reclaims are granted');
  }

  /**
   * During grace only reclaims of pre-restart state pass. Without persisted
   * state to check against (no store, or `load` not called) every reclaim
   * passes: the clients are the only record of what they held.
   */
  private checkLockReclaim(
    file: FileId,
    owner: LockOwner,
    start: number,
    end: number,
    type: LockType,
    reclaim: boolean,
  ): void {
    this.assertNotGrace(reclaim);
    if (!this.loaded) return;
    const old = this.old.get(file)?.locks ?? [];
    if (
      covers(
        old.filter((l) => sameOwner(l.owner, owner)),
        start,
        end,
        type,
      )
    )
      return;
    if (
      covers(
        old.filter((l) => sameClient(l.owner, owner)),
        start,
        end,
        type,
      )
    )
      return;
    throw new FsError('GRACE', 'reclaim of a lock not held before the restart');
  }

  /** During grace a transient (never reclaimed) lock must keep clear of pre-restart locks still to be reclaimed. */
  private checkTransientLock(file: FileId, owner: LockOwner, start: number, end: number, type: LockType): void {
    const old = this.old.get(file)?.locks ?? [];
    if (old.some((l) => conflictsWith(l.owner, l.start, l.end, l.type, owner, start, end, type))) {
      throw new FsError('GRACE', 'grace period: a conflicting lock is being reclaimed');
    }
  }

  /** During grace a transient open must keep clear of pre-restart share reservations still to be reclaimed. */
  private checkTransientOpen(file: FileId, access: ShareModes, deny: ShareModes): void {
    if ((this.old.get(file)?.opens ?? []).some((o) => shareConflict(o, { access, deny }))) {
      throw new FsError('GRACE', 'grace period: a conflicting share reservation is being reclaimed');
    }
  }

  private checkOpenReclaim(file: FileId, owner: LockOwner, reclaim: boolean): void {
    this.assertNotGrace(reclaim);
    if (!this.loaded) return;
    if ((this.old.get(file)?.opens ?? []).some((o) => sameClient(o.owner, owner))) return;
    throw new FsError('GRACE', 'reclaim of an open not held before the restart');
  }

  private checkLeaseReclaim(file: FileId, owner: LockOwner, key: string, reclaim: boolean): void {
    this.assertNotGrace(reclaim);
    if (!this.loaded) return;
    if ((this.old.get(file)?.leases ?? []).some((l) => sameClient(l.owner, owner) && l.key === key)) return;
    throw new FsError('GRACE', 'reclaim of a lease not held before the restart');
  }

  private consumeOldLock(file: FileId, owner: LockOwner, start: number, end: number): void {
    const old = this.old.get(file);
    if (!old) return;
    let locks = carve(old.locks, owner, start, end);
    if (locks.length === old.locks.length && locks.every((l, i) => l === old.locks[i])) {
      // Reclaimed under another owner id of the same client.
      for (const l of old.locks) if (sameClient(l.owner, owner)) locks = carve(locks, l.owner, start, end);
    }
    this.setOld(file, { ...old, locks });
    this.maybeEndGraceEarly();
  }

  private consumeOldOpen(file: FileId, owner: LockOwner): void {
    const old = this.old.get(file);
    if (!old) return;
    const i = old.opens.findIndex((o) => sameClient(o.owner, owner));
    if (i >= 0) this.setOld(file, { ...old, opens: old.opens.filter((_, j) => j !== i) });
    this.maybeEndGraceEarly();
  }

  private consumeOldLease(file: FileId, owner: LockOwner, key: string): void {
    const old = this.old.get(file);
    if (!old) return;
    this.setOld(file, { ...old, leases: old.leases.filter((l) => !(sameClient(l.owner, owner) && l.key === key)) });
    this.maybeEndGraceEarly();
  }

  private setOld(file: FileId, next: OldState): void {
    if (next.locks.length + next.opens.length + next.leases.length === 0) this.old.delete(file);
    else this.old.set(file, next);
    this.markDirty(file);
  }

  /** Grace ends early once everything held before the restart is back (or given up). */
  private maybeEndGraceEarly(): void {
    if (this.grace && this.loaded && this.old.size === 0) void this.endGrace();
  }

  private unreclaimedCount(): number {
    let n = 0;
    for (const o of this.old.values()) n += o.locks.length + o.opens.length + o.leases.length;
    return n;
  }

  // --- internals: bookkeeping -------------------------------------------------------

  private fileState(file: FileId): FileState {
    let fs = this.files.get(file);
    if (!fs) this.files.set(file, (fs = { locks: [], waiters: [], opens: [], leases: [] }));
    return fs;
  }

  private dropIfEmpty(file: FileId, fs: FileState): void {
    if (fs.locks.length + fs.waiters.length + fs.opens.length + fs.leases.length === 0 && this.files.get(file) === fs) {
      this.files.delete(file);
    }
  }

  /** The persisted form of a file: current state plus unreclaimed pre-restart state. */
  private snapshot(file: FileId): FileRecord | undefined {
    const fs = this.files.get(file);
    const old = this.old.get(file);
    if (!fs && !old) return undefined;
    return {
      // Windows-semantics (SMB) locks die with their connection and are never reclaimed: not persisted.
      locks: [...(fs?.locks ?? []).filter((l) => l.windows !== true), ...(old?.locks ?? [])],
      // Transient opens and leases (SMB without durable handles) are never reclaimed: not persisted either.
      opens: [
        ...(fs?.opens ?? [])
          .filter((o) => o.transient !== true)
          .map((o) => ({ owner: o.owner, access: o.access, deny: o.deny })),
        ...(old?.opens ?? []),
      ],
      leases: [
        ...(fs?.leases ?? []).filter((l) => !l.transient).map((l) => ({ owner: l.owner, key: l.key, kinds: l.kinds })),
        ...(old?.leases ?? []),
      ],
    };
  }

  private markDirty(file: FileId): void {
    this.writer?.markDirty(file);
  }

  private persist(): Promise<void> {
    return this.writer ? this.writer.persist() : Promise.resolve();
  }

  private assertOpen(): void {
    if (this.closed) throw new FsError('IO', 'lock manager closed');
  }

  private safely(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, callback: what }, 'lock manager callback threw');
    }
  }
}

/** Whether `p` settles within `ms` (the timer does not keep the process alive). */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Infinity) return p.then(() => true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function leaseId(owner: LockOwner, key: string): string {
  return `${ownerClientKey(owner)}\0${key}`;
}

function leaseView(rec: LeaseRec): Lease {
  const base = { file: rec.file, owner: rec.owner, key: rec.key, kinds: rec.kinds };
  return Object.freeze(rec.breakingTo === undefined ? base : { ...base, breakingTo: rec.breakingTo });
}

function heldView(file: FileId, l: RangeLock): HeldLock {
  return Object.freeze({ file, owner: l.owner, range: toLockRange(l.start, l.end), type: l.type });
}
