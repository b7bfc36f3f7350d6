/**
 * MS-SMB2 §3.3.5.22: OPLOCK_BREAK from the client, the acknowledgment of a
 * break the server sent (leases-grant.ts). The StructureSize tells the two
 * forms apart: 24 = oplock acknowledgment (§2.2.24.1), 36 = lease
 * acknowledgment (§2.2.24.2). The acknowledged level becomes the holder's
 * lease in the lock manager, which ends the break (and lets the waiting
 * opener, NFS writer or locker go on).
 */
import { isFsError } from '../../core/errors.js';
import { ok, type Smb2Reply, type Smb2Request } from './handler.js';
import {
  OPLOCK_LEVEL_BATCH,
  OPLOCK_LEVEL_EXCLUSIVE,
  OPLOCK_LEVEL_II,
  OPLOCK_LEVEL_NONE,
  kindsOfOplock,
  kindsOfState,
} from './leases.js';
import { findLease, oplockOf } from './leases-grant.js';
import { NtStatusError, Status } from './status.js';
import { SmbReader, SmbWriter } from './wire.js';

const OPLOCK_ACK_SIZE = 24;
const LEASE_ACK_SIZE = 36;

export async function oplockBreak(req: Smb2Request): Promise<Smb2Reply> {
  const size = new SmbReader(req.msg, 64).u16();
  if (size === OPLOCK_ACK_SIZE) return oplockAck(req);
  if (size === LEASE_ACK_SIZE) return leaseAck(req);
  throw new NtStatusError(Status.INVALID_PARAMETER, `OPLOCK_BREAK StructureSize ${size}`);
}

/** §3.3.5.22.1: the client goes down to level II or none. */
async function oplockAck(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(OPLOCK_ACK_SIZE);
  const level = r.u8();
  r.skip(5);
  // Dispatched with the session only (lease acknowledgments name no tree): the oplock's open needs its tree.
  req.tree = req.session!.trees.get(req.hdr.treeId);
  const open = req.readOpen(r);
  if (
    level !== OPLOCK_LEVEL_NONE &&
    level !== OPLOCK_LEVEL_II &&
    level !== OPLOCK_LEVEL_EXCLUSIVE &&
    level !== OPLOCK_LEVEL_BATCH
  ) {
    // A lease level (0xFF) or garbage is no oplock acknowledgment.
    throw new NtStatusError(Status.INVALID_PARAMETER, `oplock ack level ${level}`);
  }
  const entry = oplockOf(open);
  const lease = entry?.lm.getLease(entry.owner, entry.key);
  if (!entry || lease?.breakingTo === undefined) {
    throw new NtStatusError(Status.INVALID_DEVICE_STATE, 'no oplock break in progress');
  }
  const kinds = kindsOfOplock(level);
  if ((kinds & ~lease.breakingTo) !== 0) {
    throw new NtStatusError(Status.INVALID_OPLOCK_PROTOCOL, 'acknowledged level above the break');
  }
  await settle(() => entry.lm.downgradeLease(entry.owner, entry.key, kinds));
  const w = new SmbWriter(24);
  w.u16(24).u8(level).u8(0).u32(0).u64(open.persistentId).u64(open.volatileId);
  return ok(w.result());
}

/** §3.3.5.22.2: the client keeps only the acknowledged lease state. */
async function leaseAck(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(LEASE_ACK_SIZE);
  r.skip(2);
  r.u32(); // Flags: reserved.
  const key = Buffer.from(r.bytes(16));
  const state = r.u32();
  r.u64(); // LeaseDuration: reserved.
  if ((state & ~0x7) !== 0) throw new NtStatusError(Status.INVALID_PARAMETER, `lease state ${state}`);
  const entry = findLease(req.conn, key);
  if (!entry) throw new NtStatusError(Status.OBJECT_NAME_NOT_FOUND, 'no such lease');
  const lease = entry.lm.getLease(entry.owner, entry.key);
  if (lease?.breakingTo === undefined) throw new NtStatusError(Status.UNSUCCESSFUL, 'no lease break in progress');
  const kinds = kindsOfState(state);
  if ((kinds & ~lease.breakingTo) !== 0) {
    throw new NtStatusError(Status.REQUEST_NOT_ACCEPTED, 'acknowledged state above the break');
  }
  await settle(() => entry.lm.downgradeLease(entry.owner, entry.key, kinds));
  const w = new SmbWriter(36);
  w.u16(36).u16(0).u32(0).bytes(key).u32(state).u64(0);
  return ok(w.result());
}

/** The lease went away between the check and the downgrade (revoked at that moment): the break is over anyway. */
async function settle(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!isFsError(e, 'INVAL')) throw e;
  }
}
