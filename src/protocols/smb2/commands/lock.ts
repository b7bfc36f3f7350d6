/**
 * MS-SMB2 §3.3.5.14: LOCK, through the share's unified lock manager
 * (docs/locking.md "Across protocols"). SMB locks belong to the open (two
 * opens of one client conflict) and follow Windows semantics (MS-FSA
 * §2.1.5.8/§2.1.5.9): locks stack and never merge, an unlock names a held
 * lock exactly, zero-length ranges conflict with nothing.
 */
import { isFsError } from '../../../core/errors.js';
import {
  LOCK_RANGE_LIMIT,
  type LockManager,
  type LockOwner,
  type LockRequest,
  type LockType,
  type LockWaiter,
} from '../../../core/locks/index.js';
import {
  LOCKFLAG_EXCLUSIVE_LOCK,
  LOCKFLAG_FAIL_IMMEDIATELY,
  LOCKFLAG_SHARED_LOCK,
  LOCKFLAG_UNLOCK,
} from '../constants.js';
import { errorReply, goAsync, ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import { smbClientId } from '../share-modes.js';
import type { Open, OpenLocks, PendingLock } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import type { SmbReader } from '../wire.js';

/** MS-SMB2 §2.2.27: the LOCK response body (StructureSize 4, Reserved). */
const LOCK_RESPONSE = Buffer.from([4, 0, 0, 0]);

/** How often a blocking LOCK that met the grace period tries again (NLM clients are reclaiming). */
const GRACE_RETRY_MS = 1000;

/** How long a fail-immediately LOCK waits for other clients' leases to break before it gives up. */
const LEASE_BREAK_WAIT_MS = 35_000;

const TWO_64 = 1n << 64n;

/** One SMB2_LOCK_ELEMENT (MS-SMB2 §2.2.26.1), range as numbers for the lock manager. */
interface LockElement {
  readonly offset: number;
  readonly length: number;
  readonly flags: number;
}

/** The share's lock manager for `open`, or undefined when the share has none. */
function lockManagerOf(req: Smb2Request, open: Open): LockManager | undefined {
  const share = open.tree.share;
  return share ? req.conn.server.opts.locks?.(share.id) : undefined;
}

function readElements(r: SmbReader, count: number): LockElement[] {
  const out: LockElement[] = [];
  for (let i = 0; i < count; i++) {
    const offset = r.u64();
    const length = r.u64();
    const flags = r.u32();
    r.skip(4);
    // MS-FSA §2.1.5.8/§2.1.5.9: a range with bytes past 2^64 - 1 is STATUS_INVALID_LOCK_RANGE.
    if (length !== 0n && offset + length > TWO_64) {
      throw new NtStatusError(Status.INVALID_LOCK_RANGE, 'lock range past 2^64');
    }
    out.push({ ...toNumbers(offset, length), flags });
  }
  return out;
}

/**
 * The range as the lock manager's numbers. Offsets above 2^53 round; a
 * non-empty range that rounding would make empty gets the smallest width
 * its start can have, so it still conflicts with what covers it (smbtorture
 * smb2.lock.lock tries (2^63 - 1)/1). The same wire range always maps to the
 * same numbers, so exact unlocks still match.
 */
function toNumbers(offset: bigint, length: bigint): { offset: number; length: number } {
  let start = Number(offset);
  let end = Number(offset + length);
  if (length !== 0n && end <= start) {
    // At the very top (offset 2^64 - 1 rounds to 2^64) the width goes below the start instead.
    if (start >= LOCK_RANGE_LIMIT) start = nextDouble(start, -1n);
    else end = nextDouble(start, 1n);
  }
  return { offset: start, length: end - start };
}

/** The neighbouring double of a positive finite `x`, above (+1n) or below (-1n). */
function nextDouble(x: number, step: 1n | -1n): number {
  const b = new Float64Array([x]);
  const u = new BigUint64Array(b.buffer);
  u[0]! += step;
  return b[0]!;
}

/** MS-SMB2 §3.3.5.14: LOCK. */
export async function lock(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(48);
  const count = r.u16();
  // LockSequenceNumber/LockSequenceIndex: only resilient and durable handles use them (none here).
  r.skip(4);
  const open = req.readOpen(r);
  if (count === 0) throw new NtStatusError(Status.INVALID_PARAMETER, 'LockCount 0');
  const elements = readElements(r, count);
  // MS-FSA §2.1.5.8: byte-range locks are not permitted on directories.
  if (open.isDir) throw new NtStatusError(Status.INVALID_PARAMETER, 'LOCK on a directory');
  const lm = lockManagerOf(req, open);
  if (!lm) throw new NtStatusError(Status.NOT_SUPPORTED, 'no lock manager for this share');
  const state = (open.locks ??= {
    lm,
    owner: { protocol: 'smb', clientId: smbClientId(req.conn), ownerId: `lock:${open.volatileId}` },
    pending: new Set(),
  });
  if (elements[0]!.flags & LOCKFLAG_UNLOCK) return unlockAll(open, state, elements);
  return lockAll(open, state, elements);
}

/**
 * MS-SMB2 §3.3.5.14.1: unlocks apply in order; the first element that is not
 * a plain UNLOCK stops with STATUS_INVALID_PARAMETER and the first that names
 * no held lock with STATUS_RANGE_NOT_LOCKED, earlier unlocks staying done
 * (smbtorture smb2.lock.valid-request and multiple-unlock).
 */
async function unlockAll(open: Open, state: OpenLocks, elements: LockElement[]): Promise<Smb2Reply> {
  for (const e of elements) {
    if (e.flags !== LOCKFLAG_UNLOCK) throw new NtStatusError(Status.INVALID_PARAMETER, 'unlock mixed with locks');
    const held = await state.lm.unlockExact(open.id, state.owner, { offset: e.offset, length: e.length });
    if (!held) return errorReply(Status.RANGE_NOT_LOCKED);
  }
  return ok(LOCK_RESPONSE);
}

function lockType(flags: number): LockType {
  switch (flags & ~LOCKFLAG_FAIL_IMMEDIATELY) {
    case LOCKFLAG_SHARED_LOCK:
      return 'shared';
    case LOCKFLAG_EXCLUSIVE_LOCK:
      return 'exclusive';
    default:
      // §3.3.5.14.2: UNLOCK inside a lock array, both or neither of SHARED/EXCLUSIVE, unknown bits.
      throw new NtStatusError(Status.INVALID_PARAMETER, `bad lock flags 0x${flags.toString(16)}`);
  }
}

/**
 * MS-SMB2 §3.3.5.14.2: a request of several locks must be all
 * fail-immediately; they are taken in order and, when one is refused
 * (STATUS_LOCK_NOT_GRANTED), the ones taken before it are released. A single
 * blocking lock that conflicts goes async (§3.3.4.2) until it is granted,
 * cancelled or its open goes away.
 */
async function lockAll(open: Open, state: OpenLocks, elements: LockElement[]): Promise<Smb2Reply> {
  const types = elements.map((e) => lockType(e.flags));
  if (elements.length > 1 && elements.some((e) => (e.flags & LOCKFLAG_FAIL_IMMEDIATELY) === 0)) {
    throw new NtStatusError(Status.INVALID_PARAMETER, 'blocking lock in a multi-element request');
  }
  const taken: LockElement[] = [];
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    const blocking = (e.flags & LOCKFLAG_FAIL_IMMEDIATELY) === 0;
    let outcome: Smb2Reply | 'granted';
    try {
      outcome = await takeOne(open, state, e, types[i]!, blocking);
    } catch (err) {
      await rollBack(open, state, taken);
      throw err;
    }
    if (outcome !== 'granted') {
      await rollBack(open, state, taken);
      return outcome;
    }
    taken.push(e);
  }
  return ok(LOCK_RESPONSE);
}

async function rollBack(open: Open, state: OpenLocks, taken: LockElement[]): Promise<void> {
  for (let i = taken.length - 1; i >= 0; i--) {
    const e = taken[i]!;
    await state.lm.unlockExact(open.id, state.owner, { offset: e.offset, length: e.length });
  }
}

/** Take one lock: 'granted', or the reply to send (LOCK_NOT_GRANTED, or STATUS_PENDING for a wait). */
async function takeOne(
  open: Open,
  state: OpenLocks,
  e: LockElement,
  type: LockType,
  blocking: boolean,
): Promise<Smb2Reply | 'granted'> {
  const request: LockRequest = {
    file: open.id,
    owner: state.owner,
    type,
    offset: e.offset,
    length: e.length,
    semantics: 'windows',
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await state.lm.lock(request, { wait: blocking });
      if (res.status === 'granted') return 'granted';
      if (res.status === 'denied') return errorReply(Status.LOCK_NOT_GRANTED);
      return goAsync(waitForGrant(state, res.waiter));
    } catch (err) {
      // The grace period after a restart (NLM clients reclaiming): a blocking lock waits it out.
      if (isFsError(err, 'GRACE')) {
        if (!blocking) return errorReply(Status.LOCK_NOT_GRANTED);
        return goAsync(retryAfterGrace(state, request));
      }
      // Another client's lease must break first (MS-FSA §2.1.5.8 oplock break on LOCK_CONTROL).
      if (isFsError(err, 'DELAY') && attempt === 0) {
        await state.lm.breakLeases(open.id, type === 'exclusive' ? 'write' : 'read', {
          owner: state.owner,
          waitMs: LEASE_BREAK_WAIT_MS,
        });
        continue;
      }
      throw err;
    }
  }
}

/** A waiting LOCK: its final reply, CANCEL, and the end imposed when the open goes away. */
interface LockWait extends PendingLock {
  readonly final: Promise<Smb2Reply>;
  cancel(): void;
}

/**
 * The async half of a blocking LOCK: the final reply when the waiter is
 * granted; STATUS_CANCELLED after SMB2 CANCEL; the status given to `end`
 * when the open goes away (close, tree disconnect, logoff: RANGE_NOT_LOCKED,
 * as Samba answers).
 */
function waitForGrant(state: OpenLocks, waiter: LockWaiter): LockWait {
  let endStatus: number = Status.CANCELLED;
  const wait: LockWait = {
    final: waiter.outcome.then((o) => {
      state.pending.delete(wait);
      return o.granted ? ok(LOCK_RESPONSE) : errorReply(endStatus);
    }),
    end(status: number) {
      endStatus = status;
      waiter.cancel();
    },
    cancel() {
      wait.end(Status.CANCELLED);
    },
  };
  state.pending.add(wait);
  return wait;
}

/** A blocking LOCK that met the grace period: try again every second until it is granted, queued, or ended. */
function retryAfterGrace(state: OpenLocks, request: LockRequest): LockWait {
  let ended: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let queued: LockWait | undefined;
  const run = async (): Promise<Smb2Reply> => {
    try {
      for (;;) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, GRACE_RETRY_MS);
        });
        if (ended !== undefined) return errorReply(ended);
        try {
          const res = await state.lm.lock(request, { wait: true });
          if (res.status === 'granted') return ok(LOCK_RESPONSE);
          if (res.status === 'denied') return errorReply(Status.LOCK_NOT_GRANTED);
          queued = waitForGrant(state, res.waiter);
          if (ended !== undefined) queued.end(ended);
          return await queued.final;
        } catch (err) {
          if (!isFsError(err, 'GRACE')) throw err;
        }
      }
    } finally {
      state.pending.delete(wait);
    }
  };
  const wait: LockWait = {
    final: Promise.resolve().then(run),
    end(status: number) {
      ended = status;
      if (timer) clearTimeout(timer);
      wake?.();
      queued?.end(status);
    },
    cancel() {
      wait.end(Status.CANCELLED);
    },
  };
  state.pending.add(wait);
  return wait;
}

/**
 * What closing an open does to its locks (MS-SMB2 §3.3.4.16 / MS-FSA
 * §2.1.5.4: the open's byte-range locks go away with it): waiting LOCKs end
 * with STATUS_RANGE_NOT_LOCKED and every lock of the open is released, which
 * wakes waiters of any protocol.
 */
export async function releaseLocks(open: Open): Promise<void> {
  const state = open.locks;
  if (!state) return;
  for (const p of [...state.pending]) p.end(Status.RANGE_NOT_LOCKED);
  state.pending.clear();
  await state.lm.releaseOwner(state.owner);
}

/**
 * Mandatory locking on the data path (MS-SMB2 §3.3.5.12/§3.3.5.13, MS-FSA
 * §2.1.4.10): a READ or WRITE over a range another owner (of any protocol)
 * has locked exclusively, or a WRITE over any shared lock, is
 * STATUS_FILE_LOCK_CONFLICT. One map lookup when the file has no locks.
 */
export function checkIoLocks(
  req: Smb2Request,
  open: Open,
  offset: number,
  length: number,
  access: 'read' | 'write',
): void {
  if (length === 0) return;
  const lm = open.locks?.lm ?? lockManagerOf(req, open);
  if (!lm) return;
  // An open that never locked holds nothing, so any owner of its own answers the same.
  const owner = open.locks?.owner ?? NO_LOCKS;
  if (lm.testIo(open.id, owner, { offset, length }, access)) {
    throw new NtStatusError(Status.FILE_LOCK_CONFLICT, `${access} over a locked range`);
  }
}

const NO_LOCKS: LockOwner = Object.freeze({ protocol: 'smb', clientId: '', ownerId: '' });
